import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { TaskEventsService } from '../events/task-events.service';
import { isTerminal, type TaskState } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { SseClient, type SseOutput } from './sse-client';
import { SseCursor } from './sse-cursor';
import { TaskSseMessages, formatComment } from './task-sse-messages';

/** Client reconnect delay announced in the stream (ms), with its first event. */
export const SSE_RETRY_MS = 3000;

/**
 * What GET /api/status/{id} answers: the event stream, to attach to the response once its
 * headers are sent, or `caughtUp` when the client's Last-Event-ID is at or past the terminal
 * event of a finished task (it has had the end; the route answers 204, which makes an
 * EventSource stop reconnecting).
 */
export type TaskStreamAnswer =
  { kind: 'events'; attach(output: SseOutput): void; cancel(): void } | { kind: 'caughtUp' };

/** The open streams of one task in this process, behind one TaskEventsService listener. */
interface TaskStreams {
  clients: Set<SseClient>;
  unsubscribe: () => void;
}

/**
 * One task's Server-Sent Events (docs/design.md, GET /api/status/{id}), and the fan-out of task
 * events to every open stream of this process. Each event has `id` = the task's seq, `event` =
 * its status, `data` = its view as JSON; the current state goes out first (also on a reconnect
 * with Last-Event-ID, and with `retry`), then only newer changes; the stream ends after a
 * terminal event (SseClient, which also says what happens to a slow reader). A reconnect that
 * already had the terminal event gets no stream (caughtUp); one without Last-Event-ID still gets
 * the terminal event once, so late viewers and curl see the result.
 *
 * The fan-out is per task, not per stream: one TaskEventsService listener per task with open
 * streams, which writes each published event's bytes (built once per base URL: TaskSseMessages)
 * to every stream of the task. One timer per process, every SSE_HEARTBEAT_S while any stream is
 * open, writes a comment heartbeat to every stream and re-reads each followed task once (not
 * once per stream), so a change lost with a Redis reconnect is caught up (the streams' cursors
 * drop repeats). A stream's first heartbeat thus comes within one interval of its opening.
 *
 * Previews are announced by the snapshot alone: a processing task's `preview` field names the
 * latest voxel preview and its URL (no event of its own).
 */
@Injectable()
export class TaskStreamService implements OnModuleDestroy {
  private readonly byTask = new Map<string, TaskStreams>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TaskStore) private readonly tasks: Pick<TaskStore, 'require' | 'get'>,
    @Inject(TaskEventsService) private readonly events: Pick<TaskEventsService, 'subscribe'>,
    private readonly clock: Clock,
    @Inject(TaskSseMessages) private readonly messages: TaskSseMessages,
  ) {}

  /** Streams open in this process, and the tasks they follow (each one Redis listener). */
  get openStreams(): { streams: number; tasks: number } {
    let streams = 0;
    for (const task of this.byTask.values()) streams += task.clients.size;
    return { streams, tasks: this.byTask.size };
  }

  /**
   * The task's event stream, or caughtUp for a finished task whose terminal event id is <=
   * Last-Event-ID (a finished task's seq never changes again). ApiError 404 "Task not found"
   * (before any byte is sent) for an unknown id. lastEventId: the Last-Event-ID header as sent;
   * baseUrl: the origin the view's URLs are made absolute against. The stream is registered
   * before the state is read, so no event falls between the two; an answer that is never
   * attached must be cancelled.
   */
  async open(taskId: string, lastEventId: string | undefined, baseUrl: string): Promise<TaskStreamAnswer> {
    const resumeAfter = SseCursor.parseLastEventId(lastEventId);
    // Events published while the state is read wait here, then go to the client.
    const raced: TaskState[] = [];
    const stopWaiting = this.events.subscribe(taskId, (event) => raced.push(event));
    let current: TaskState;
    try {
      current = await this.tasks.require(taskId);
    } catch (error) {
      stopWaiting();
      throw error;
    }
    if (isTerminal(current.record.status) && resumeAfter !== undefined && resumeAfter >= current.seq) {
      stopWaiting();
      return { kind: 'caughtUp' };
    }
    const client = new SseClient(
      taskId,
      baseUrl,
      current,
      resumeAfter,
      this.messages,
      SSE_RETRY_MS,
      (ended) => this.remove(ended),
    );
    this.add(client);
    stopWaiting();
    for (const event of raced) client.send(event);
    return {
      kind: 'events',
      attach: (output) => client.attach(output),
      cancel: () => client.end(),
    };
  }

  onModuleDestroy(): void {
    for (const task of [...this.byTask.values()]) for (const client of [...task.clients]) client.end();
    this.stopHeartbeat();
  }

  private add(client: SseClient): void {
    let task = this.byTask.get(client.taskId);
    if (task === undefined) {
      const clients = new Set<SseClient>();
      const unsubscribe = this.events.subscribe(client.taskId, (event) => {
        for (const each of clients) each.send(event);
      });
      task = { clients, unsubscribe };
      this.byTask.set(client.taskId, task);
    }
    task.clients.add(client);
    // Stopped when the last stream ends (remove) or at shutdown (onModuleDestroy).
    this.heartbeat ??= setInterval(() => this.beat(), this.config.sseHeartbeatS * 1000);
  }

  private remove(client: SseClient): void {
    const task = this.byTask.get(client.taskId);
    if (task === undefined || !task.clients.delete(client)) return;
    if (task.clients.size === 0) {
      task.unsubscribe();
      this.byTask.delete(client.taskId);
    }
    if (this.byTask.size === 0) this.stopHeartbeat();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** One heartbeat tick: a comment to every stream, one re-read per followed task. */
  private beat(): void {
    const comment = formatComment(`heartbeat ${new Date(this.clock.now()).toISOString()}`);
    for (const [taskId, task] of this.byTask) {
      for (const client of [...task.clients]) client.heartbeat(comment);
      if (task.clients.size === 0) continue;
      // A pub/sub message lost in a Redis reconnect is caught up here (the cursors drop repeats).
      this.tasks.get(taskId).then(
        (state) => {
          if (state) for (const client of [...task.clients]) client.send(state);
        },
        () => undefined,
      );
    }
  }
}
