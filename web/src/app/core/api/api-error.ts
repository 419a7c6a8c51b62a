import { ApiError, ErrorCode } from './api-types';
import { errorCodeValues } from './generated/openapi';

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

const KNOWN_CODES: ReadonlySet<string> = new Set(errorCodeValues);

/** The value as an error code of the contract, or undefined (absent, or a code this page does not know). */
export function asErrorCode(value: unknown): ErrorCode | undefined {
  return typeof value === 'string' && KNOWN_CODES.has(value) ? (value as ErrorCode) : undefined;
}

/**
 * Builds an ApiError from a non-2xx answer. The body should be {success: false, error, code}, but a
 * proxy in front (Cloudflare's 524 page, an HTML 502) may answer anything, so it is read
 * defensively: without a code the page decides by the status alone (error-messages.ts).
 */
export function toApiError(status: number, bodyText: string, retryAfter: string | null): ApiError {
  let code: ErrorCode | undefined;
  let error = '';
  try {
    const body: unknown = JSON.parse(bodyText);
    if (body !== null && typeof body === 'object') {
      const record = body as Record<string, unknown>;
      code = asErrorCode(record['code']);
      if (typeof record['error'] === 'string') error = record['error'].trim();
    }
  } catch {
    // Not JSON: no code, no message.
  }
  const apiError: ApiError = { status, code, error };
  const retryAfterS = parseRetryAfter(retryAfter);
  if (retryAfterS !== undefined) apiError.retryAfterS = retryAfterS;
  return apiError;
}
