import type { MessageEvent } from '@nestjs/common';
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
 * The SSE message of one task state, built once per (state, base URL) and shared by every stream
 * that sends it: `{id: String(seq), type: status, data: the view's JSON}`, frozen. Nest writes a
 * string `data` as it is (an object it would JSON.stringify again for each stream), so one task
 * event fanned out to N streams is serialised once per distinct base URL among them, not N times.
 *
 * The cache is keyed by the state object itself (a WeakMap): TaskEventsService hands one parsed
 * event object to every local listener of its task, so the states a fan-out shares are the same
 * object, and an entry is gone with its event once the last stream has written it. A state read
 * for one stream alone (the current state on connect, a heartbeat re-read) is serialised for it.
 * The base URLs under one state are as many as the distinct origins of the streams that send it
 * (PUBLIC_BASE_URL: one).
 */
export class TaskSseMessages {
  private readonly byState = new WeakMap<TaskState, Map<string, Readonly<MessageEvent>>>();

  /** serialise: the record → `data` seam (tests count its calls). */
  constructor(private readonly serialise: TaskViewSerialiser = serialiseTaskView) {}

  /** The message of `state` for readers whose URLs are made absolute against `baseUrl`. */
  message(state: TaskState, baseUrl: string): Readonly<MessageEvent> {
    let byBaseUrl = this.byState.get(state);
    if (byBaseUrl === undefined) {
      byBaseUrl = new Map();
      this.byState.set(state, byBaseUrl);
    }
    let message = byBaseUrl.get(baseUrl);
    if (message === undefined) {
      message = Object.freeze({
        id: String(state.seq),
        type: state.record.status,
        data: this.serialise(state.record, baseUrl),
      });
      byBaseUrl.set(baseUrl, message);
    }
    return message;
  }
}
