import { parseRetryAfter, toApiError } from './api-error';

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('30')).toBe(30);
  });

  it('reads an HTTP date as seconds from now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
  });

  it('ignores absent or garbled values', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('toApiError', () => {
  it('keeps the server message and Retry-After', () => {
    expect(toApiError(503, '{"success":false,"error":"Server busy, retry later"}', '12')).toEqual({
      status: 503,
      error: 'Server busy, retry later',
      retryAfterS: 12,
    });
  });

  it('falls back to the documented message when a proxy answers with HTML', () => {
    expect(toApiError(413, '<html>Request Entity Too Large</html>', null)).toEqual({
      status: 413,
      error: 'File too large, max 10MB',
    });
    expect(toApiError(524, '<html>timeout</html>', null).error).toBe('Internal error');
  });
});
