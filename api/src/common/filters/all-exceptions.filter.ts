import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ApiError, ErrorMessage, fileTooLargeMessage } from '../api-error';
import { forLog } from '../logging/log-text';

export interface ErrorBody {
  success: false;
  error: string;
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Unexpected: logged with its stack. */
  unexpected: boolean;
}

/**
 * Maps anything thrown to the documented status and body. Known errors keep their status;
 * Nest's own HttpExceptions keep theirs with a plain message; a 4xx from below Nest (express,
 * body-parser: malformed JSON, a bad percent-encoding in a path) keeps its status with the
 * contract's "Bad request" (404 "Not found"), never its raw message; everything else is a 500
 * "Internal error" whose stack goes to the log, never to the client.
 */
export function mapException(exception: unknown, maxUploadMb: number): MappedError {
  const make = (status: number, error: string, headers: Record<string, string> = {}, unexpected = false) => ({
    status,
    body: { success: false as const, error },
    headers,
    unexpected,
  });
  if (exception instanceof ApiError)
    return make(exception.status, exception.message, { ...exception.headers });
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 413) return make(413, fileTooLargeMessage(maxUploadMb), { Connection: 'close' });
    if (status === 404) return make(404, ErrorMessage.notFound);
    if (status >= 500) return make(500, ErrorMessage.internal, {}, true);
    // Nest's express adapter wraps express and body-parser errors (bad JSON, a bad percent-encoding
    // in a path) into an HttpException that keeps their raw message, with the original as cause.
    if (statusOf(exception.cause) !== undefined) return mapException(exception.cause, maxUploadMb);
    return make(status, httpExceptionMessage(exception));
  }
  // body-parser / raw-body errors carry a status (e.g. 413 entity.too.large, 400 bad JSON).
  const status = statusOf(exception);
  if (status === 413) return make(413, fileTooLargeMessage(maxUploadMb), { Connection: 'close' });
  if (status !== undefined && status >= 400 && status < 500) {
    return make(status, status === 404 ? ErrorMessage.notFound : ErrorMessage.badRequest);
  }
  return make(HttpStatus.INTERNAL_SERVER_ERROR, ErrorMessage.internal, {}, true);
}

function statusOf(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const candidate =
    (exception as { status?: unknown; statusCode?: unknown }).status ??
    (exception as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' ? candidate : undefined;
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return exception.message;
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const mapped = mapException(exception, this.config.maxUploadMb);
    if (mapped.unexpected) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(
        `${req.method} ${forLog(req.originalUrl)} failed: ${forLog(String(exception))}`,
        stack,
      );
    } else {
      // The client gets the contract's words; the log keeps the original ones.
      const original = exception instanceof Error ? exception.message : String(exception);
      // Cut like the URL: a parser's message may quote the whole request line ("Cannot GET /...").
      const detail = original === mapped.body.error ? '' : ` (${forLog(original)})`;
      this.logger.log(
        `${req.method} ${forLog(req.originalUrl)} -> ${mapped.status} ${mapped.body.error}${detail}`,
      );
    }
    if (res.headersSent) {
      // An SSE stream or a file already under way: nothing more can be said, just end it.
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(mapped.headers)) res.setHeader(name, value);
    res.status(mapped.status).json(mapped.body);
  }
}
