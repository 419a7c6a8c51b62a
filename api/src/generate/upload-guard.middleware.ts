import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { type ApiError, fileTooLargeError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { contentLengthTooLarge, meshTooLargeError, textureBodyLimit } from './upload-limits';

/**
 * Refuses an upload whose Content-Length is over the limit before reading its body, and
 * closes the connection rather than draining the rest. Chunked uploads are cut by multer's
 * fileSize limit instead.
 */
@Injectable()
export class UploadGuardMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (!contentLengthTooLarge(req.headers['content-length'], this.config.maxUploadMb)) {
      next();
      return;
    }
    refuseTooLarge(req, res, fileTooLargeError(this.config.maxUploadMb));
  }
}

/**
 * POST /api/texture's guard: a declared Content-Length over both files' limits and the framing
 * (textureBodyLimit) is refused 413 mesh_too_large before a byte of the body is read (the mesh is
 * the large part; a body that only streams past the limit is cut by MeshUploadInterceptor).
 */
@Injectable()
export class TextureUploadGuardMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const declared = req.headers['content-length'];
    if (
      declared === undefined ||
      !/^\d+$/.test(declared.trim()) ||
      Number(declared) <= textureBodyLimit(this.config)
    ) {
      next();
      return;
    }
    refuseTooLarge(req, res, meshTooLargeError(this.config.maxMeshMb));
  }
}

/** Answers `error` (a 413) and closes the socket once the answer is out, without reading the body. */
export function refuseTooLarge(req: Request, res: Response, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json(error.body());
  closeAfterResponse(req, res);
}

/** Longest time the rest of a refused body is read and dropped after the 413 went out. */
export const LINGER_MS = 2000;

/**
 * Closes the connection after the 413 without processing the rest of the body. Node would
 * destroy the socket the moment the answer is written; the kernel then answers the client's
 * unread bytes with a reset, which can wipe the 413 from the client's buffer before it reads it
 * (RFC 9112 section 9.6). So: half-close, drop what still arrives for at most LINGER_MS, destroy.
 */
export function closeAfterResponse(req: Request, res: Response): void {
  const socket = req.socket as Request['socket'] & { destroySoon?: () => void };
  socket.destroySoon = () => {
    if (socket.writable) socket.end();
  };
  req.unpipe();
  req.resume();
  res.on('finish', () => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
