import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { Observable } from 'rxjs';
import { ApiError, fileTooLargeError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { closeAfterResponse } from './upload-guard.middleware';
import { MULTIPART_OVERHEAD_BYTES, maxUploadBytes } from './upload-limits';

/**
 * Multer errors to the contract: over the size limit 413 file_too_large, a second or misnamed file
 * 400 unexpected_file ("Send exactly one file..."), any other malformed upload 400 bad_request (busboy's own wording is
 * not the contract's, so it never reaches the client).
 */
export function mapMulterError(error: unknown, maxUploadMb: number): ApiError {
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return fileTooLargeError(maxUploadMb);
      case 'LIMIT_FILE_COUNT':
      case 'LIMIT_UNEXPECTED_FILE':
        return new ApiError('unexpected_file');
      case 'LIMIT_FIELD_COUNT':
      case 'LIMIT_FIELD_KEY':
      case 'LIMIT_FIELD_VALUE':
      case 'LIMIT_PART_COUNT':
      case 'MISSING_FIELD_NAME':
        return new ApiError('bad_request', { cause: error });
    }
  }
  return new ApiError('bad_request', { cause: error });
}

/** How runMultipart bounds and judges one route's body. */
export interface MultipartRules {
  /** Bytes of body (files and framing) past which reading stops with tooLarge(). */
  bodyLimit: number;
  /** The 413 answered when the body passes bodyLimit while it streams. */
  tooLarge: () => ApiError;
  /** Multer's error as the contract's. */
  mapError: (error: unknown) => ApiError;
  /** A last judgement of what multer read (e.g. each file against its own limit); undefined passes. */
  check?: () => ApiError | undefined;
}

/**
 * Runs multer's `upload` on the request and settles once: with the body read (and `check` passed)
 * or with the contract's error. A 413 closes the connection after its answer
 * (closeAfterResponse). Multer drains the whole body before it reports its own size error; the
 * bytes are counted here as they arrive so the 413 goes out as soon as the body passes the limit.
 */
export function runMultipart(
  req: Request,
  res: Response,
  upload: RequestHandler,
  rules: MultipartRules,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let received = 0;
    const settle = (error?: ApiError): void => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      if (error?.status === 413) closeAfterResponse(req, res);
      if (error) reject(error);
      else resolve();
    };
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > rules.bodyLimit) settle(rules.tooLarge());
    };
    upload(req, res, (error?: unknown) => {
      if (error === undefined || error === null) settle(rules.check?.());
      else settle(rules.mapError(error));
    });
    req.on('data', count);
  });
}

/**
 * Reads the multipart body into memory (at most MAX_UPLOAD_MB, enforced while it streams),
 * one file in the field "image", and small text fields (the options: a field the route does not
 * take is refused by the options' parser).
 */
@Injectable()
export class ImageUploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.upload = multer({
      storage: multer.memoryStorage(),
      limits: {
        fileSize: maxUploadBytes(config.maxUploadMb),
        files: 1,
        fields: 16,
        parts: 20,
        fieldSize: 64 * 1024,
      },
    }).single('image');
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    await runMultipart(req, res, this.upload, {
      bodyLimit: maxUploadBytes(this.config.maxUploadMb) + MULTIPART_OVERHEAD_BYTES,
      tooLarge: () => fileTooLargeError(this.config.maxUploadMb),
      mapError: (error) => mapMulterError(error, this.config.maxUploadMb),
    });
    return next.handle();
  }
}
