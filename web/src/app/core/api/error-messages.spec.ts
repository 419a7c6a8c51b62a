import { ApiError } from './api-types';
import { describeError } from './error-messages';

function describe10(error: ApiError): ReturnType<typeof describeError> {
  return describeError(error, 10);
}

describe('describeError', () => {
  it('maps each documented message to its explanation', () => {
    expect(describe10({ status: 400, error: 'Unsupported image format' }).key).toBe('error.unsupported');
    expect(describe10({ status: 422, error: 'Image too small, min 64x64' })).toEqual({
      key: 'error.tooSmall',
      params: {},
      retryable: false,
    });
    expect(describe10({ status: 422, error: 'No object found in the image' })).toEqual({
      key: 'error.noObject',
      params: {},
      retryable: false,
    });
    expect(describe10({ status: 413, error: 'File too large, max 10MB' })).toEqual({
      key: 'error.tooLarge',
      params: { max: '10' },
      retryable: false,
    });
    expect(describe10({ status: 504, error: 'Generation timeout' }).key).toBe('error.timeout');
    expect(describe10({ status: 500, error: 'GPU out of memory' }).key).toBe('error.oom');
    expect(describe10({ status: 500, error: 'Internal error' }).key).toBe('error.internal');
  });

  it('tells how long to wait when the server is busy', () => {
    expect(describe10({ status: 503, error: 'Server busy, retry later', retryAfterS: 20 })).toEqual({
      key: 'error.busy',
      params: { seconds: 20 },
      retryable: true,
    });
    expect(describe10({ status: 503, error: 'Server busy, retry later' }).key).toBe('error.busyNoDelay');
  });

  it('tells how long to wait after too many requests, and that a refused sign-in is not retried', () => {
    expect(describe10({ status: 429, error: 'Too many requests, retry later', retryAfterS: 42 })).toEqual({
      key: 'error.tooMany',
      params: { seconds: 42 },
      retryable: true,
    });
    expect(describe10({ status: 429, error: 'Too many requests, retry later' }).key).toBe(
      'error.tooManyNoDelay',
    );
    expect(describe10({ status: 401, error: 'Unauthorized' })).toEqual({
      key: 'error.unauthorized',
      params: {},
      retryable: false,
    });
  });

  it('uses the status when the message is not one of ours', () => {
    expect(describe10({ status: 413, error: 'Payload Too Large' }).params).toEqual({ max: 10 });
    expect(describe10({ status: 504, error: 'Gateway Timeout' }).key).toBe('error.timeout');
    expect(describe10({ status: 0, error: 'Network error' }).key).toBe('error.network');
    expect(describe10({ status: 404, error: 'Task not found' }).key).toBe('error.notFound');
  });

  it('shows an unknown message as the server said it', () => {
    expect(describe10({ status: 500, error: 'Sidecar exploded' })).toEqual({
      key: 'error.other',
      params: { message: 'Sidecar exploded' },
      retryable: true,
    });
  });
});
