import { ApiClient } from '../api/api-client';
import type { ApiError, TaskSnapshot } from '../api/api-types';
import type { EventSourceFactory } from '../events/event-source-factory';
import { TaskEventStream } from '../events/task-event-stream';
import { PollVerdict, TaskPoller } from './task-poller';

/** What a TaskConnection reports: the task's snapshots, the link's health, a task the server lost. */
export interface TaskConnectionHandlers {
  /** A snapshot of the task, from the stream or from a poll, in arrival order. */
  snapshot(snapshot: TaskSnapshot): void;
  /** The stream dropped or froze (true) or delivers again (false). */
  reconnecting(reconnecting: boolean): void;
  /**
   * The server will not tell about the task, however often it is asked: it no longer knows it
   * (404 task_not_found), or this browser may not follow it (401 unauthorized: API keys only).
   */
  refused(error: ApiError): void;
}

/** The answers to GET /api/tasks/{id} that asking again cannot change. */
export function finalRefusal(error: ApiError): boolean {
  return error.code === 'task_not_found' || error.code === 'unauthorized';
}

/** Consecutive stream failures (drops, freezes, refusals) before polling takes over. */
export const FAILURES_BEFORE_POLLING = 3;
/** With no snapshot for this long, ask GET /api/tasks/{id} once (a proxy that buffers events). */
export const POLL_AFTER_SILENCE_MS = 10_000;
/** Waits before opening the stream again after the server refused or ended it. */
const REOPEN_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

const TERMINAL = new Set(['completed', 'failed']);

/**
 * Everything one tab does to hear about one task: its event stream (TaskEventStream, which
 * resumes by itself after a drop or a freeze), one GET /api/tasks/{id} after a silence, and after
 * FAILURES_BEFORE_POLLING failures in a row a polling loop (TaskPoller: one request at a time,
 * backing off) while the stream keeps trying; the stream's first event again ends the polling.
 * A finished task thus shows up even when its stream froze or dropped for good.
 */
export class TaskConnection {
  private readonly stream: TaskEventStream;
  private readonly poller: TaskPoller;
  private failures = 0;
  private reopenAttempt = 0;
  private lastSnapshotAt = Date.now();
  private silenceTimer: ReturnType<typeof setInterval> | undefined;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly taskId: string,
    private readonly api: ApiClient,
    createSource: EventSourceFactory,
    private readonly handlers: TaskConnectionHandlers,
  ) {
    this.stream = new TaskEventStream(
      `/api/status/${encodeURIComponent(taskId)}`,
      {
        snapshot: (snapshot) => this.fromStream(snapshot),
        lost: () => this.onFailure(),
        closed: () => {
          this.onFailure();
          void this.afterClose();
        },
      },
      createSource,
    );
    this.poller = new TaskPoller(() => this.ask());
  }

  /** Whether the polling loop has taken over from the stream. */
  get polling(): boolean {
    return this.poller.active;
  }

  /** Opens the stream and starts watching for silence. */
  start(): void {
    this.lastSnapshotAt = Date.now();
    this.stream.open();
    this.silenceTimer = setInterval(() => {
      if (!this.poller.active && Date.now() - this.lastSnapshotAt >= POLL_AFTER_SILENCE_MS) {
        this.lastSnapshotAt = Date.now();
        void this.poller.pollNow();
      }
    }, 1000);
  }

  /** Closes everything for good. */
  stop(): void {
    this.stopped = true;
    this.stream.close();
    this.poller.stop();
    clearInterval(this.silenceTimer);
    clearTimeout(this.reopenTimer);
  }

  private fromStream(snapshot: TaskSnapshot): void {
    if (this.stopped) return;
    this.failures = 0;
    this.reopenAttempt = 0;
    this.poller.stop(); // The stream works again.
    this.handlers.reconnecting(false);
    this.deliver(snapshot);
  }

  private deliver(snapshot: TaskSnapshot): void {
    this.lastSnapshotAt = Date.now();
    if (TERMINAL.has(snapshot.status)) this.stop(); // Nothing more to hear about.
    this.handlers.snapshot(snapshot);
  }

  private onFailure(): void {
    if (this.stopped) return;
    this.failures += 1;
    this.handlers.reconnecting(true);
    if (this.failures >= FAILURES_BEFORE_POLLING) this.poller.start();
  }

  /** The server refused or ended the stream: ask it directly, then open the stream again later. */
  private async afterClose(): Promise<void> {
    if ((await this.poller.pollNow()) === 'done' || this.stopped) return;
    const delay = REOPEN_DELAYS_MS[Math.min(this.reopenAttempt, REOPEN_DELAYS_MS.length - 1)] ?? 30_000;
    this.reopenAttempt += 1;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => {
      if (!this.stopped) this.stream.reopen();
    }, delay);
  }

  /** One GET /api/tasks/{id}, its answer delivered as the stream's would be. */
  private async ask(): Promise<PollVerdict> {
    if (this.stopped) return 'done';
    const outcome = await this.api.getTask(this.taskId);
    if (this.stopped) return 'done';
    if (outcome.ok) {
      this.deliver(outcome.value);
      if (this.stopped) return 'done';
      return TERMINAL.has(outcome.value.status) ? 'done' : 'answered';
    }
    if (finalRefusal(outcome.error)) {
      this.stop(); // Nothing more to hear about, as after a terminal snapshot.
      this.handlers.refused(outcome.error);
      return 'done';
    }
    return 'unanswered';
  }
}
