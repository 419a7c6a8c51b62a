import { InjectionToken } from '@angular/core';

/** The parts of BroadcastChannel the task relay uses, so a spec can link tabs in memory. */
export interface TaskChannelLike {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** Opens the named channel shared by this browser's tabs of one origin; undefined where there is none. */
export type TaskChannelFactory = (name: string) => TaskChannelLike | undefined;

/**
 * How tabs talk to each other: BroadcastChannel where the browser has one (every current browser,
 * in secure and plain-HTTP pages alike); without it each tab follows its tasks on its own.
 */
export const TASK_CHANNEL_FACTORY = new InjectionToken<TaskChannelFactory>('TASK_CHANNEL_FACTORY', {
  providedIn: 'root',
  factory: () => (name) => (typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined),
});

/** The part of the Web Locks API (navigator.locks) the task relay uses. */
export interface TaskLocksLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/**
 * The browser's Web Locks where it has them (secure contexts: HTTPS and localhost), which name
 * exactly one leader per task however busy or throttled its tab is, and free the lock when the
 * tab closes or crashes. Undefined elsewhere (plain-HTTP LAN addresses): the tabs then elect a
 * leader by messages alone (SharedTaskFeed).
 */
export const TASK_LOCKS = new InjectionToken<TaskLocksLike | undefined>('TASK_LOCKS', {
  providedIn: 'root',
  factory: () => (typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : undefined),
});
