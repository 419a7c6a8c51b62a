import { ApiClient } from './api-client';
import { JSON_REQUEST_TIMEOUT_MS, uploadTimeoutMs } from './request-timeouts';

describe('request time limits', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('an upload gets more time the bigger it is', () => {
    expect(uploadTimeoutMs(0)).toBe(30_000);
    expect(uploadTimeoutMs(10 * 1024 * 1024)).toBe(30_000 + 320_000);
    expect(uploadTimeoutMs(Number.NaN)).toBe(30_000);
  });

  it('a task read that never answers ends as a network error after the JSON limit', async () => {
    vi.useFakeTimers();
    // AbortSignal.timeout runs on the platform's own clock: stand in one on the fake timers.
    vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), ms);
      return controller.signal;
    });
    vi.spyOn(globalThis, 'fetch').mockImplementation(
      (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    let settled: unknown;
    void new ApiClient().getTask('t1').then((outcome) => (settled = outcome));
    await vi.advanceTimersByTimeAsync(JSON_REQUEST_TIMEOUT_MS - 1);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toEqual({ ok: false, error: { status: 0, code: undefined, error: '' } });
  });
});
