import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ApiError, type ErrorBody, fileTooLargeError } from '../api-error';
import { clientAddress } from '../client-address';
import { forLog } from '../logging/log-text';
import { errorMessage } from '../error-message';
import { isRedisOutOfMemory, isRedisUnreachable } from '../redis-unreachable';

export type { ErrorBody } from '../api-error';

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Unexpected: logged with its stack. */
  unexpected: boolean;
}

/**
 * Maps anything thrown to the documented status and body, each with its code of the error table.
 * An ApiError is its row; a 4xx from Nest or from below it (express, body-parser: malformed
 * JSON, a bad percent-encoding in a path; Nest's own 404 for an unknown route) gets its row by
 * status: 413 file_too_large, 404 not_found, 401 unauthorized, any other 4xx bad_request "Bad
 * request" (its status kept), never the raw message; Redis not answering (ioredis's errors) 503
 * store_unavailable; Redis refusing a write at its maxmemory ("OOM command not allowed") 507
 * store_full; everything else is a 500 internal_error
 * whose stack goes to the log, never to the client.
 */
export function mapException(exception: unknown, maxUploadMb: number): MappedError {
  const known = (error: ApiError, unexpected = false): MappedError => ({
    status: error.status,
    body: error.body(),
    headers: { ...error.headers },
    unexpected,
  });
  if (exception instanceof ApiError) return known(exception as ApiError);
  if (isRedisUnreachable(exception)) {
    return known(
      new ApiError('store_unavailable', { headers: { 'Retry-After': String(STORE_RETRY_AFTER_S) } }),
    );
  }
  if (isRedisOutOfMemory(exception)) return known(new ApiError('store_full'));
  // Nest's express adapter wraps express and body-parser errors (bad JSON, a bad percent-encoding
  // in a path) into an HttpException that keeps their raw message, with the original as cause.
  if (
    exception instanceof HttpException &&
    exception.getStatus() < 500 &&
    statusOf(exception.cause) !== undefined
  )
    return mapException(exception.cause, maxUploadMb);
  const status = exception instanceof HttpException ? exception.getStatus() : statusOf(exception);
  if (status === undefined || status < 400 || status >= 500)
    return known(new ApiError('internal_error'), true);
  // body-parser's own limit (JSON and URL-encoded bodies, BODY_LIMIT_KB), not the upload's.
  if (status === 413 && (exception as { type?: unknown }).type === 'entity.too.large')
    return known(new ApiError('body_too_large', { headers: { Connection: 'close' } }));
  if (status === 413) return known(fileTooLargeError(maxUploadMb));
  if (status === 404) return known(new ApiError('not_found'));
  if (status === 401) return known(new ApiError('unauthorized'));
  return known(new ApiError('bad_request', { status }));
}

/** Seconds a 503 store_unavailable asks the client to wait (ioredis reconnects by itself meanwhile). */
const STORE_RETRY_AFTER_S = 10;

function statusOf(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const candidate =
    (exception as { status?: unknown; statusCode?: unknown }).status ??
    (exception as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' ? candidate : undefined;
}

/** The words of what was thrown below the contract's error (its cause), else its own. */
function originalMessage(exception: unknown): string {
  return errorMessage(
    exception instanceof Error && exception.cause !== undefined ? exception.cause : exception,
  );
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    if (req.socket?.destroyed === true && !res.headersSent) {
      // The client went away mid-request (an upload cancelled, a phone off the network): no one
      // is left to answer, and it was no bad request of theirs.
      this.logger.log(
        `${req.method} ${forLog(req.originalUrl)}: the client closed the connection before the answer (${forLog(originalMessage(exception))})`,
      );
      return;
    }
    const mapped = mapException(exception, this.config.maxUploadMb);
    if (mapped.unexpected) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error(
        `${req.method} ${forLog(req.originalUrl)} failed: ${forLog(String(exception))} client=${clientAddress(req)}`,
        stack,
      );
    } else {
      // The client gets the contract's words; the log keeps the original ones.
      const original = originalMessage(exception);
      // Cut like the URL: a parser's message may quote the whole request line ("Cannot GET /...").
      const detail = original === mapped.body.error ? '' : ` (${forLog(original)})`;
      // Who was refused (a token guessed, a limit met), as accepted uploads and admin actions say.
      this.logger.log(
        `${req.method} ${forLog(req.originalUrl)} -> ${mapped.status} ${mapped.body.code} ${mapped.body.error}${detail} client=${clientAddress(req)}`,
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
