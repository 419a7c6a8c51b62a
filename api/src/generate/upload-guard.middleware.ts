import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { fileTooLargeMessage } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { contentLengthTooLarge } from './upload-limits';

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
    refuseTooLarge(req, res, this.config.maxUploadMb);
  }
}

/** Answers 413 and closes the socket once the answer is out, without reading the body. */
export function refuseTooLarge(req: Request, res: Response, maxUploadMb: number): void {
  res.setHeader('Connection', 'close');
  res.status(413).json({ success: false, error: fileTooLargeMessage(maxUploadMb) });
  closeAfterResponse(req, res);
}

/** Ends the connection after the response so the rest of an oversized body is never read. */
export function closeAfterResponse(req: Request, res: Response): void {
  req.unpipe();
  res.on('finish', () => {
    // A moment for the client to read the answer before the socket (and its unread input) goes.
    setTimeout(() => req.socket.destroy(), 200).unref();
  });
}
