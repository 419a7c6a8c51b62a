/**
 * Test-only XMLHttpRequest that sends through globalThis.fetch, so a spec mocks every request the
 * same way (vi.spyOn(globalThis, 'fetch')) whichever API the code under test uses. It reports
 * one upload progress event (all bytes) before the answer.
 */
export class FetchBackedXhr {
  status = 0;
  responseText = '';
  readonly upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  private method = 'GET';
  private url = '';
  private headers: Headers | undefined;
  private aborted = false;

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  getResponseHeader(name: string): string | null {
    return this.headers?.get(name) ?? null;
  }

  /** As the browser's: onabort now, and whatever answer comes later is not reported. */
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }

  send(body?: XMLHttpRequestBodyInit | null): void {
    fetch(this.url, { method: this.method, body: body ?? null }).then(
      async (response) => {
        if (this.aborted) return;
        this.upload.onprogress?.(
          new ProgressEvent('progress', { lengthComputable: true, loaded: 100, total: 100 }),
        );
        this.status = response.status;
        this.headers = response.headers;
        this.responseText = await response.text();
        this.onload?.();
      },
      () => {
        if (!this.aborted) this.onerror?.();
      },
    );
  }
}

/** Installs FetchBackedXhr for the current test file. */
export function useFetchBackedXhr(): void {
  vi.stubGlobal('XMLHttpRequest', FetchBackedXhr);
}
