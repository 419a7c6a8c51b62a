import { InjectionToken } from '@angular/core';

/** The parts of EventSource this app uses, so a spec can drive the stream with a fake. */
export interface EventSourceLike {
  readonly readyState: number;
  onerror: ((this: EventSource, event: Event) => unknown) | null;
  onopen: ((this: EventSource, event: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

/** Opens a Server-Sent Events connection to a same-origin URL. */
export type EventSourceFactory = (url: string) => EventSourceLike;

/**
 * How the app opens event streams: the browser's EventSource by default. Specs provide a fake
 * (src/testing/fake-event-source.ts) in their TestBed providers instead.
 */
export const EVENT_SOURCE_FACTORY = new InjectionToken<EventSourceFactory>('EVENT_SOURCE_FACTORY', {
  providedIn: 'root',
  factory: () => (url) => new EventSource(url),
});
