import { type TaskRecord, type TaskState, toTaskView } from '../state/task-snapshot';

/**
 * Turns a task record into the `data` of its SSE event: the JSON of its view (toTaskView), its
 * URLs (model_url, download_url, preview.url) absolute against baseUrl (scheme://host).
 */
export type TaskViewSerialiser = (record: TaskRecord, baseUrl: string) => string;

/** The product's serialiser: JSON.stringify of toTaskView, as GET /api/tasks/{id} answers it. */
export const serialiseTaskView: TaskViewSerialiser = (record, baseUrl) =>
  JSON.stringify(toTaskView(record, baseUrl));

/**
 * One event of the stream as the bytes written to the socket (text/event-stream, UTF-8):
 * `event: <status>\nid: <seq>\n[retry: <ms>\n]data: <view JSON>\n\n`. The view's JSON is one line
 * (JSON.stringify escapes newlines inside strings), so one `data:` line carries it; the status
 * and the seq never hold a line break.
 */
export function formatTaskEvent(state: TaskState, data: string, retryMs?: number): Buffer {
  const retry = retryMs === undefined ? '' : `retry: ${retryMs}\n`;
  return Buffer.from(`event: ${state.record.status}\nid: ${state.seq}\n${retry}data: ${data}\n\n`, 'utf8');
}

/** A comment line (`: text`), which clients ignore: a heartbeat. text holds no line break. */
export function formatComment(text: string): Buffer {
  return Buffer.from(`: ${text}\n\n`, 'utf8');
}

/**
 * The SSE event of one task state as its bytes, built once per (state, base URL) and shared by
 * every stream that sends it (formatTaskEvent): one task event fanned out to N streams is
 * serialised and encoded once per distinct base URL among them, not N times, and each stream
 * writes the same Buffer.
 *
 * The cache is keyed by the state object itself (a WeakMap): TaskEventsService hands one parsed
 * event object to every local listener of its task, and TaskStreamService hands one heartbeat
 * re-read to every stream of its task, so the states a fan-out shares are the same object, and an
 * entry is gone with its state once the last stream has written it. The current state read for
 * one stream on connect is serialised for it (first(), with the stream's `retry`). The base URLs
 * under one state are as many as the distinct origins of the streams that send it
 * (PUBLIC_BASE_URL: one).
 */
export class TaskSseMessages {
  private readonly byState = new WeakMap<TaskState, Map<string, Buffer>>();

  /** serialise: the record → `data` seam (tests count its calls). */
  constructor(private readonly serialise: TaskViewSerialiser = serialiseTaskView) {}

  /** The event of `state` for readers whose URLs are made absolute against `baseUrl`. */
  frame(state: TaskState, baseUrl: string): Buffer {
    let byBaseUrl = this.byState.get(state);
    if (byBaseUrl === undefined) {
      byBaseUrl = new Map();
      this.byState.set(state, byBaseUrl);
    }
    let frame = byBaseUrl.get(baseUrl);
    if (frame === undefined) {
      frame = formatTaskEvent(state, this.serialise(state.record, baseUrl));
      byBaseUrl.set(baseUrl, frame);
    }
    return frame;
  }

  /** A stream's first event: `state` with the client's reconnect delay (`retry`, ms), not shared. */
  first(state: TaskState, baseUrl: string, retryMs: number): Buffer {
    return formatTaskEvent(state, this.serialise(state.record, baseUrl), retryMs);
  }
}
