import { asErrorCode, parseRetryAfter, toApiError } from './api-error';

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
  it('keeps the code, the server message and Retry-After', () => {
    expect(
      toApiError(503, '{"success":false,"error":"Server busy, retry later","code":"server_busy"}', '12'),
    ).toEqual({ status: 503, code: 'server_busy', error: 'Server busy, retry later', retryAfterS: 12 });
  });

  it('has no code when a proxy answers with HTML, or the code is not one of the contract', () => {
    expect(toApiError(413, '<html>Request Entity Too Large</html>', null)).toEqual({
      status: 413,
      code: undefined,
      error: '',
    });
    expect(toApiError(500, '{"success":false,"error":"Boom","code":"no_such_code"}', null)).toEqual({
      status: 500,
      code: undefined,
      error: 'Boom',
    });
  });
});

describe('toApiError on POST /api/texture', () => {
  it("keeps a mesh refusal's code, so the page explains it by the code", () => {
    expect(
      toApiError(422, '{"success":false,"error":"whatever words","code":"mesh_no_faces"}', null),
    ).toEqual({ status: 422, code: 'mesh_no_faces', error: 'whatever words' });
  });
});

describe('asErrorCode', () => {
  it('accepts the codes of the generated contract only', () => {
    expect(asErrorCode('task_cancelled')).toBe('task_cancelled');
    // POST /api/texture's codes are the contract's too.
    expect(asErrorCode('mesh_too_large')).toBe('mesh_too_large');
    expect(asErrorCode('mesh_compressed')).toBe('mesh_compressed');
    expect(asErrorCode('Task cancelled')).toBeUndefined();
    expect(asErrorCode(409)).toBeUndefined();
    expect(asErrorCode(undefined)).toBeUndefined();
  });
});
