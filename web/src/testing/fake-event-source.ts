import { EventSourceLike } from '../app/core/events/event-source-factory';

/** A stand-in for the browser's EventSource that the test drives by hand. */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  closed = false;
  onerror: EventSourceLike['onerror'] = null;
  onopen: EventSourceLike['onopen'] = null;
  onheartbeat: ((comment: string) => void) | null = null;
  private readonly listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();

  constructor(
    readonly url: string,
    /** The Last-Event-ID it was opened with (a resume after a frozen or dropped stream). */
    readonly lastEventId?: string,
  ) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  /** The event names something listens for. */
  listenedTypes(): string[] {
    return [...this.listeners.keys()];
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  emit(type: string, data: string, lastEventId = ''): void {
    this.readyState = 1;
    for (const listener of this.listeners.get(type) ?? []) {
      listener(new MessageEvent(type, { data, lastEventId }));
    }
  }

  /** A comment heartbeat from the server. */
  heartbeat(comment = 'heartbeat'): void {
    this.onheartbeat?.(comment);
  }

  fail(readyState: 0 | 2): void {
    this.readyState = readyState;
    this.onerror?.call(this as unknown as EventSource, new Event('error'));
  }
}
