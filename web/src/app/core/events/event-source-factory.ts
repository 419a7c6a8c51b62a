import { InjectionToken } from '@angular/core';

import { FetchEventSource } from './fetch-event-source';

/** The parts of EventSource this app uses, so a spec can drive the stream with a fake. */
export interface EventSourceLike {
  readonly readyState: number;
  onerror: ((this: EventSource, event: Event) => unknown) | null;
  onopen: ((this: EventSource, event: Event) => unknown) | null;
  /**
   * Called with each comment the server sends (its heartbeats), where the source can see them
   * (FetchEventSource); a browser EventSource hides them and never calls it.
   */
  onheartbeat?: ((comment: string) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

/**
 * Opens a Server-Sent Events connection to a same-origin URL; `lastEventId`, when given, resumes
 * after that event (the Last-Event-ID header of the first request).
 */
export type EventSourceFactory = (url: string, lastEventId?: string) => EventSourceLike;

/** Whether fetch can stream a response body here (every current browser). */
function canStreamFetch(): boolean {
  return (
    typeof fetch === 'function' &&
    typeof ReadableStream === 'function' &&
    typeof TextDecoderStream === 'function' &&
    typeof Response === 'function' &&
    'body' in Response.prototype
  );
}

/**
 * The app's default: FetchEventSource (heartbeats visible, resumable from a known id), or the
 * browser's EventSource where fetch cannot stream (it resumes only on its own reconnects).
 */
export function defaultEventSourceFactory(): EventSourceFactory {
  if (canStreamFetch()) return (url, lastEventId) => new FetchEventSource(url, lastEventId);
  return (url) => new EventSource(url);
}

/**
 * How the app opens event streams (defaultEventSourceFactory). Specs provide a fake
 * (src/testing/fake-event-source.ts) in their TestBed providers instead.
 */
export const EVENT_SOURCE_FACTORY = new InjectionToken<EventSourceFactory>('EVENT_SOURCE_FACTORY', {
  providedIn: 'root',
  factory: defaultEventSourceFactory,
});
