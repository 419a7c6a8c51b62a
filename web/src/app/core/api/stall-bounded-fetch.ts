/** A download that stopped: no answer, or no byte of its body, for the stall limit. */
export class DownloadStalledError extends Error {
  constructor(
    readonly url: string,
    readonly stallMs: number,
  ) {
    super(`no data from ${url} for ${stallMs} ms`);
    this.name = 'DownloadStalledError';
  }
}

/** A whole answer: its status and headers, and its body read to the end. */
export interface WholeResponse {
  status: number;
  ok: boolean;
  headers: Headers;
  body: ArrayBuffer;
}

/**
 * GET `url` and read its body whole, giving up when nothing arrives for `stallMs`: neither the
 * answer's headers nor, later, any byte of its body. A large model on a slow link keeps going as
 * long as bytes flow (a total time limit would have to allow for the slowest link and the largest
 * model, and so would never fire); a phone that moved between cells mid-download, or a tunnel that
 * swallowed the connection, ends here instead of holding the viewer for ever.
 *
 * @param url same-origin path or URL
 * @param init `signal` aborts it from outside (rejects with that signal's reason, as fetch does);
 *   `cache` is passed to fetch
 * @param stallMs the longest silence allowed, in milliseconds (request-timeouts.ts)
 * @throws DownloadStalledError on a silence of `stallMs`; fetch's TypeError on a network failure
 */
export async function fetchWhole(
  url: string,
  init: { signal?: AbortSignal; cache?: RequestCache },
  stallMs: number,
): Promise<WholeResponse> {
  const controller = new AbortController();
  const outer = init.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  if (outer?.aborted) controller.abort(outer.reason);
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kick = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new DownloadStalledError(url, stallMs));
    }, stallMs);
  };
  kick();
  try {
    const response = await fetch(url, { cache: init.cache, signal: controller.signal });
    kick();
    const chunks: Uint8Array[] = [];
    let length = 0;
    const reader = response.body?.getReader();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        length += value.byteLength;
        kick();
      }
    }
    const body = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { status: response.status, ok: response.ok, headers: response.headers, body: body.buffer };
  } catch (error) {
    if (stalled) throw new DownloadStalledError(url, stallMs);
    throw error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
