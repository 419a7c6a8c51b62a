import { TaskSnapshot, TaskStatus } from '../api/api-types';
import { taskViewDtoStatusValues } from '../api/generated/openapi';
import { EventSourceFactory, EventSourceLike } from './event-source-factory';
import { StreamWatchdog } from './stream-watchdog';

/** The `event:` names of GET /api/status/{id}: one per task status, as the contract lists them. */
const TASK_EVENT_NAMES: readonly TaskStatus[] = taskViewDtoStatusValues;
/**
 * The statuses after which the server ends the stream (docs/design.md). A cancelled task ends
 * `failed` (cancelled: true, error_code task_cancelled): there is no `cancelled` event.
 */
const TERMINAL: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['completed', 'failed']);

/** What a TaskEventStream reports to its owner. */
export interface TaskStreamHandlers {
  /** One event's task snapshot, its `status` filled from the event name when the data lacks it. */
  snapshot(snapshot: TaskSnapshot): void;
  /**
   * The connection dropped, or froze (nothing, not even a heartbeat, for two heartbeat
   * intervals: the watchdog closed it); reconnection is under way.
   */
  lost(): void;
  /**
   * The browser gave up reconnecting (an HTTP error such as 404 closes an EventSource for good).
   * The owner decides what the task's state is (GET /api/tasks/{id}) and may call reopen().
   */
  closed(): void;
}

/** EventSource.CLOSED, spelled out: a fake EventSource has no static constants. */
const CLOSED = 2;

/**
 * One task's Server-Sent Events. EventSource reconnects by itself (sending Last-Event-ID) after a
 * dropped connection; this wrapper closes the stream after a terminal event, so the browser does
 * not reconnect to a stream the server has finished, and reports a permanent close to its owner.
 * A frozen connection never errors: where the source shows heartbeats (FetchEventSource), a
 * StreamWatchdog notices the silence, and the stream reconnects from the last event id it saw.
 */
export class TaskEventStream {
  private source: EventSourceLike | undefined;
  private finished = false;
  private lastEventId: string | undefined;
  private readonly watchdog = new StreamWatchdog(() => this.onSilence());

  constructor(
    private readonly url: string,
    private readonly handlers: TaskStreamHandlers,
    private readonly createSource: EventSourceFactory,
  ) {}

  /** Connects (again), unless the stream was closed for good. */
  open(): void {
    if (this.finished) return;
    this.source?.close();
    const source = this.createSource(this.url, this.lastEventId);
    this.source = source;
    for (const name of TASK_EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        if (this.source === source) this.onEvent(name, event);
      });
    }
    source.onerror = () => {
      if (this.finished || this.source !== source) return;
      if (source.readyState === CLOSED) {
        this.watchdog.stop();
        source.close();
        this.source = undefined;
        this.handlers.closed();
      } else {
        this.handlers.lost();
      }
    };
    // Only a source that shows heartbeats can be watched: a quiet task sends no events for long.
    if ('onheartbeat' in source) {
      source.onheartbeat = (comment) => {
        if (this.source === source) this.watchdog.heard(true, comment);
      };
      this.watchdog.arm();
    } else {
      this.watchdog.stop();
    }
  }

  /** Starts a fresh connection after closed(); the server sends the current state first. */
  reopen(): void {
    this.open();
  }

  /** Closes for good: no reconnect, no more snapshots. */
  close(): void {
    this.finished = true;
    this.watchdog.stop();
    this.source?.close();
    this.source = undefined;
  }

  /** Nothing for two heartbeat intervals: the connection is frozen. Drop it and resume. */
  private onSilence(): void {
    if (this.finished || !this.source) return;
    this.source.close();
    this.source = undefined;
    this.handlers.lost();
    this.open();
  }

  private onEvent(name: TaskStatus, event: MessageEvent<string>): void {
    if (this.finished) return;
    if (event.lastEventId) this.lastEventId = event.lastEventId;
    this.watchdog.heard(false);
    let snapshot: TaskSnapshot;
    try {
      const parsed = JSON.parse(event.data) as Partial<TaskSnapshot>;
      snapshot = { ...parsed, status: parsed.status ?? name };
    } catch {
      return; // A malformed event is skipped; the next one (or a reconnect) carries the full state.
    }
    if (TERMINAL.has(snapshot.status)) this.close();
    this.handlers.snapshot(snapshot);
  }
}
