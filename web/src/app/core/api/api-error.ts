import { ApiError, ERROR_MESSAGES } from './api-types';

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function fallbackMessage(status: number): string {
  switch (status) {
    case 400:
      return ERROR_MESSAGES.unsupported;
    case 413:
      return ERROR_MESSAGES.tooLarge(10);
    case 503:
      return ERROR_MESSAGES.busy;
    case 504:
      return ERROR_MESSAGES.timeout;
    default:
      return ERROR_MESSAGES.internal;
  }
}

/**
 * Builds an ApiError from a non-2xx answer. The body should be {success:false, error}, but a proxy
 * in front (Cloudflare's 524 page, an HTML 502) may answer anything, so it is read defensively.
 */
export function toApiError(status: number, bodyText: string, retryAfter: string | null): ApiError {
  let message: string | undefined;
  try {
    const body: unknown = JSON.parse(bodyText);
    if (body !== null && typeof body === 'object' && 'error' in body) {
      const error = body.error;
      if (typeof error === 'string' && error.trim() !== '') message = error;
    }
  } catch {
    // Not JSON: keep the status-based message.
  }
  const apiError: ApiError = { status, error: message ?? fallbackMessage(status) };
  const retryAfterS = parseRetryAfter(retryAfter);
  if (retryAfterS !== undefined) apiError.retryAfterS = retryAfterS;
  return apiError;
}
