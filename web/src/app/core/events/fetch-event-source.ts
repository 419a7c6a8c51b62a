import type { EventSourceLike } from './event-source-factory';
import { SseParser } from './sse-parser';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
/** The wait before reconnecting after a dropped connection, until the server sends `retry:`. */
const DEFAULT_RETRY_MS = 3000;

/**
 * An EventSource over fetch and a streamed body, for two things the browser's EventSource cannot
 * do: it reports the server's comment heartbeats (onheartbeat), so a watchdog can tell a quiet
 * stream from a frozen one, and a fresh connection can resume from a known event id (it sends
 * Last-Event-ID from its first request, where an EventSource only does so on its own reconnects).
 * Otherwise it behaves like EventSource: reconnects after a drop with the last event id, and
 * closes for good (readyState CLOSED, then onerror) on an answer that is not a 200 event stream
 * (204 after a finished task, 404, 429...).
 */
export class FetchEventSource implements EventSourceLike {
  readyState = CONNECTING;
  onerror: EventSourceLike['onerror'] = null;
  onopen: EventSourceLike['onopen'] = null;
  onheartbeat: ((comment: string) => void) | null = null;
  private readonly listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  private abort: AbortController | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = DEFAULT_RETRY_MS;

  constructor(
    private readonly url: string,
    private lastEventId: string | undefined = undefined,
  ) {
    void this.connect();
  }

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = CLOSED;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
    this.abort = undefined;
  }

  private async connect(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.lastEventId !== undefined) headers['Last-Event-ID'] = this.lastEventId;
    let response: Response;
    try {
      response = await fetch(this.url, { headers, cache: 'no-store', signal: abort.signal });
    } catch {
      this.dropped(abort);
      return;
    }
    if (abort.signal.aborted) return;
    const type = response.headers.get('Content-Type') ?? '';
    if (response.status !== 200 || !type.startsWith('text/event-stream') || !response.body) {
      abort.abort();
      this.fail();
      return;
    }
    this.readyState = OPEN;
    this.onopen?.call(this as unknown as EventSource, new Event('open'));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || abort.signal.aborted) break;
        for (const item of parser.feed(value)) {
          if (abort.signal.aborted) break;
          if (item.kind === 'comment') this.onheartbeat?.(item.text);
          else if (item.kind === 'retry') this.retryMs = item.ms;
          else this.emit(item.type, item.data, item.id);
        }
      }
    } catch {
      // A dropped connection: reconnect below.
    }
    this.dropped(abort);
  }

  private emit(type: string, data: string, id: string | undefined): void {
    if (id !== undefined) this.lastEventId = id;
    const event = new MessageEvent<string>(type, { data, lastEventId: this.lastEventId ?? '' });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  /** The connection ended or failed: reconnect later, as EventSource does, unless closed. */
  private dropped(abort: AbortController): void {
    if (abort !== this.abort || this.readyState === CLOSED) return;
    this.readyState = CONNECTING;
    this.onerror?.call(this as unknown as EventSource, new Event('error'));
    if (this.readyState === CLOSED) return; // Closed by the error handler.
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
  }

  /** Closes for good and says so, as EventSource does on an HTTP error. */
  private fail(): void {
    this.readyState = CLOSED;
    this.abort = undefined;
    this.onerror?.call(this as unknown as EventSource, new Event('error'));
  }
}
