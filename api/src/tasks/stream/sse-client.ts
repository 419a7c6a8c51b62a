import { isTerminal, type TaskState } from '../state/task-snapshot';
import { SseCursor } from './sse-cursor';
import type { TaskSseMessages } from './task-sse-messages';

/**
 * Where a stream's bytes go: the HTTP response (express Response / http.ServerResponse), or any
 * Writable in a test. write() answers false once the socket's buffer is full ('drain' follows);
 * 'close' comes once, however the answer ends (end, the client gone, destroy).
 */
export interface SseOutput {
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(): void;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * One open event stream of one task (GET /api/status/{id}): which events it writes and when it
 * ends. The current state goes out first, with the reconnect delay (`retry`), then only newer
 * events (SseCursor); the stream ends after a terminal event.
 *
 * A slow reader: while its socket has not drained (write() answered false), new events are not
 * queued behind it: only the newest one is kept and written at 'drain' (every event carries the
 * whole snapshot, so a reader that skips some is still up to date, and event ids stay
 * increasing). A stream whose socket has still not drained at two heartbeat ticks in a row (one
 * to two heartbeat intervals without taking its bytes) is dropped: destroy() closes the socket,
 * which releases the stream's slot, and an EventSource reconnects with Last-Event-ID and gets the
 * current state first. So what one stream holds is bounded: the socket's buffer, one event and a
 * heartbeat, whatever the task publishes.
 *
 * Events may arrive before the output is attached (between the state read and the response
 * headers): they wait and follow the current state, in order, once attached.
 */
export class SseClient {
  private output: SseOutput | undefined;
  private readonly cursor: SseCursor;
  /** Events raced in before attach (in arrival order), or the newest one while blocked. */
  private pending: TaskState[] = [];
  private started = false;
  private stalled = false;
  private finished = false;

  /**
   * taskId: whose events; baseUrl: the origin its URLs are made absolute against; current: the
   * state read on connect (written first); resumeAfter: Last-Event-ID as a number; onEnd: runs
   * once when the stream is over for any reason (the registry drops it).
   */
  constructor(
    readonly taskId: string,
    readonly baseUrl: string,
    private readonly current: TaskState,
    resumeAfter: number | undefined,
    private readonly messages: TaskSseMessages,
    private readonly retryMs: number,
    private readonly onEnd: (client: SseClient) => void,
  ) {
    this.cursor = new SseCursor(resumeAfter);
  }

  /** True once the stream is over (terminal event written, client gone, dropped). */
  get closed(): boolean {
    return this.finished;
  }

  /** Starts writing to `output` (its headers already sent): the current state, then what raced in. */
  attach(output: SseOutput): void {
    if (this.finished) return;
    this.output = output;
    output.on('close', () => this.close());
    output.on('drain', () => this.onDrain());
    if (output.destroyed || output.writableEnded) {
      this.close();
      return;
    }
    this.started = true;
    this.cursor.accept(this.current.seq);
    this.write(this.messages.first(this.current, this.baseUrl, this.retryMs), this.current);
    const raced = this.pending.sort((a, b) => a.seq - b.seq);
    this.pending = [];
    for (const state of raced) this.send(state);
  }

  /** A task event (published or re-read): written if newer than what this stream sent. */
  send(state: TaskState): void {
    if (this.finished) return;
    if (!this.started) {
      this.pending.push(state);
      return;
    }
    const output = this.output;
    if (output === undefined || state.seq <= (this.cursor.sent ?? -1)) return;
    if (output.writableNeedDrain) {
      // Blocked: keep only the newest event (see the class comment).
      if (this.pending.length === 0 || state.seq > this.pending[0].seq) this.pending = [state];
      return;
    }
    this.cursor.accept(state.seq);
    this.write(this.messages.frame(state, this.baseUrl), state);
  }

  /**
   * A heartbeat tick: writes `comment` (a formatted comment) to a stream that takes its bytes;
   * drops one whose socket has not drained since the previous tick.
   */
  heartbeat(comment: Buffer): void {
    const output = this.output;
    if (this.finished || !this.started || output === undefined) return;
    if (output.writableNeedDrain) {
      if (this.stalled) {
        this.close();
        output.destroy();
      } else {
        this.stalled = true;
      }
      return;
    }
    output.write(comment);
  }

  /** Ends the stream from the server's side (shutdown): the client reconnects elsewhere. */
  end(): void {
    const output = this.output;
    this.close();
    if (output !== undefined && !output.writableEnded) output.end();
  }

  private write(frame: Buffer, state: TaskState): void {
    const output = this.output;
    if (output === undefined) return;
    output.write(frame);
    if (isTerminal(state.record.status)) {
      this.close();
      output.end();
    }
  }

  private onDrain(): void {
    if (this.finished) return;
    this.stalled = false;
    const newest = this.pending.pop();
    this.pending = [];
    if (newest !== undefined) this.send(newest);
  }

  private close(): void {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    this.onEnd(this);
  }
}
