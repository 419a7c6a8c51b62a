import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { ApiError } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { TaskEventsService } from '../events/task-events.service';
import { isTerminal, type TaskState } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { SseCursor } from './sse-cursor';
import { TaskSseMessages } from './task-sse-messages';

/** Client reconnect delay announced in the stream (ms), with its first event. */
export const SSE_RETRY_MS = 3000;

/**
 * What GET /api/status/{id} answers: the event stream, or `caughtUp` when the client's
 * Last-Event-ID is at or past the terminal event of a finished task (it has had the end; the
 * route answers 204, which makes an EventSource stop reconnecting).
 */
export type TaskStreamAnswer = { kind: 'events'; events: Observable<MessageEvent> } | { kind: 'caughtUp' };

/**
 * One task's Server-Sent Events (docs/design.md, GET /api/status/{id}) as an Observable for
 * Nest's @Sse(): each event has `id` = the task's seq, `type` = its status, `data` = its view as
 * JSON (a string: TaskSseMessages serialises a published event once for all the streams that
 * share its base URL, and Nest writes a string as it is).
 * The current state goes out first (also on a reconnect with Last-Event-ID), then only newer
 * changes; a comment heartbeat every SSE_HEARTBEAT_S, which also re-reads the state so a change
 * lost with a Redis reconnect is caught up; the stream completes after a terminal event. A
 * reconnect that already had the terminal event gets no stream (caughtUp); one without
 * Last-Event-ID still gets the terminal event once, so late viewers and curl see the result.
 * Unsubscribing (the client went away) drops the listener and the heartbeat.
 *
 * Previews are announced by the snapshot alone: a processing task's `preview` field names the
 * latest voxel preview and its URL (no event of its own).
 */
@Injectable()
export class TaskStreamService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TaskStore) private readonly tasks: Pick<TaskStore, 'require' | 'get'>,
    @Inject(TaskEventsService) private readonly events: Pick<TaskEventsService, 'subscribe'>,
    private readonly clock: Clock,
    @Inject(TaskSseMessages) private readonly messages: TaskSseMessages,
  ) {}

  /**
   * The task's event stream, or caughtUp for a finished task whose terminal event id is <=
   * Last-Event-ID (a finished task's seq never changes again). ApiError 404 "Task not found"
   * (before any byte is sent) for an unknown id. lastEventId: the Last-Event-ID header as sent;
   * baseUrl: the origin the view's URLs are made absolute against.
   */
  async open(taskId: string, lastEventId: string | undefined, baseUrl: string): Promise<TaskStreamAnswer> {
    const current = await this.tasks.require(taskId);
    const resumeAfter = SseCursor.parseLastEventId(lastEventId);
    if (isTerminal(current.record.status) && resumeAfter !== undefined && resumeAfter >= current.seq) {
      return { kind: 'caughtUp' };
    }
    return { kind: 'events', events: this.follow(taskId, resumeAfter, baseUrl) };
  }

  private follow(taskId: string, lastEventId: number | undefined, baseUrl: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const cursor = new SseCursor(lastEventId);
      const pending: TaskState[] = [];
      let ready = false;
      let first = true;
      const send = (state: TaskState): void => {
        if (subscriber.closed || !cursor.accept(state.seq)) return;
        const message = this.messages.message(state, baseUrl);
        subscriber.next(first ? { ...message, retry: SSE_RETRY_MS } : message);
        first = false;
        if (isTerminal(state.record.status)) subscriber.complete();
      };
      // Subscribe before reading the current state, so nothing falls between the two.
      const unsubscribe = this.events.subscribe(taskId, (event) => {
        if (ready) send(event);
        else pending.push(event);
      });
      const heartbeat = setInterval(() => {
        subscriber.next({ comment: `heartbeat ${new Date(this.clock.now()).toISOString()}` });
        // A pub/sub message lost in a Redis reconnect is caught up here (the cursor drops repeats).
        this.tasks.get(taskId).then(
          (state) => {
            if (state) send(state);
          },
          () => undefined,
        );
      }, this.config.sseHeartbeatS * 1000);
      this.tasks.get(taskId).then(
        (current) => {
          if (!current) {
            subscriber.error(new ApiError('task_not_found'));
            return;
          }
          send(current);
          ready = true;
          for (const event of pending.sort((a, b) => a.seq - b.seq)) send(event);
          pending.length = 0;
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
    });
  }
}
