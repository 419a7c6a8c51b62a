import { DownloadStalledError, fetchWhole } from './stall-bounded-fetch';

/**
 * fetch as the browser's: (input, init) → a Response whose body is `stream`, after `headersAfterMs`;
 * an abort of init.signal rejects the pending promise and errors the body, with the signal's reason.
 */
function fetchServing(chunks: { afterMs: number; bytes: number[] }[], headersAfterMs = 0, endStream = true) {
  return (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined;
      let bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;
      const timers: ReturnType<typeof setTimeout>[] = [];
      signal?.addEventListener('abort', () => {
        timers.forEach(clearTimeout);
        reject(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
        bodyController?.error(signal.reason);
      });
      timers.push(
        setTimeout(() => {
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              bodyController = controller;
              let at = 0;
              for (const chunk of chunks) {
                at += chunk.afterMs;
                timers.push(setTimeout(() => controller.enqueue(new Uint8Array(chunk.bytes)), at));
              }
              if (endStream) timers.push(setTimeout(() => controller.close(), at + 1));
            },
          });
          resolve(
            new Response(body, {
              status: 200,
              headers: { 'X-Url': input instanceof Request ? input.url : input.toString() },
            }),
          );
        }, headersAfterMs),
      );
    });
}

describe('fetchWhole: a download bounded by its silences, not its length', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reads a slow body whole while bytes keep coming, however long it takes in all', async () => {
    // Six chunks 40 ms apart: 240 ms in all, never silent for the 100 ms limit.
    const chunks = Array.from({ length: 6 }, (_, i) => ({ afterMs: 40, bytes: [i, i + 1] }));
    vi.stubGlobal('fetch', fetchServing(chunks));
    const whole = await fetchWhole('/static/m.glb', {}, 100);
    expect(whole.ok).toBe(true);
    expect(whole.headers.get('X-Url')).toBe('/static/m.glb');
    expect([...new Uint8Array(whole.body)]).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  });

  it('gives up when the body stops mid-way', async () => {
    vi.stubGlobal('fetch', fetchServing([{ afterMs: 10, bytes: [1, 2, 3] }], 0, false));
    const started = Date.now();
    await expect(fetchWhole('/static/m.glb', {}, 80)).rejects.toBeInstanceOf(DownloadStalledError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
  });

  it('gives up when the answer never comes', async () => {
    vi.stubGlobal('fetch', fetchServing([], 60_000));
    await expect(fetchWhole('/static/m.glb', {}, 50)).rejects.toThrow(
      /no data from \/static\/m.glb for 50 ms/,
    );
  });

  it("an abort from outside rejects with that signal's reason, not as a stall", async () => {
    vi.stubGlobal('fetch', fetchServing([{ afterMs: 10, bytes: [1] }], 0, false));
    const controller = new AbortController();
    const pending = fetchWhole('/static/m.glb', { signal: controller.signal }, 10_000);
    setTimeout(() => controller.abort(new Error('page left')), 30);
    await expect(pending).rejects.toThrow('page left');
  });
});
