import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ListenerRegistry } from '../../common/listener-registry';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { isTerminal, type TaskState } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { type TaskEvent, parseTaskEvent } from './task-event';

export type TaskListener = (event: TaskEvent) => void;

/** How often a waiter re-reads the task in case a pub/sub message was lost (Redis reconnect). */
const POLL_MS = 5000;

/** Task changes from every api process (Redis pub/sub), fanned out to local listeners by task. */
@Injectable()
export class TaskEventsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskEventsService.name);
  private readonly listeners = new ListenerRegistry<TaskListener>();
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly tasks: TaskStore,
  ) {}

  onModuleInit(): void {
    this.unlisten = this.redis.listen(RedisKeys.taskEventsChannel, (message) => {
      const event = parseTaskEvent(message);
      if (!event) {
        this.logger.warn('unreadable task event ignored');
        return;
      }
      for (const listener of this.listeners.get(event.taskId)) listener(event);
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
    this.listeners.clear();
  }

  subscribe(taskId: string, listener: TaskListener): () => void {
    return this.listeners.add(taskId, listener);
  }

  /** Resolves with the task's terminal state (or undefined if it vanished). */
  async waitForTerminal(taskId: string): Promise<TaskState | undefined> {
    return new Promise<TaskState | undefined>((resolve, reject) => {
      let settled = false;
      const finish = (state: TaskState | undefined): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        clearInterval(poll);
        resolve(state);
      };
      const check = (): void => {
        this.tasks.get(taskId).then(
          (state) => {
            if (!state || isTerminal(state.record.status)) finish(state);
          },
          (error: unknown) => {
            if (settled) return;
            settled = true;
            unsubscribe();
            clearInterval(poll);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      };
      const unsubscribe = this.subscribe(taskId, (event) => {
        if (isTerminal(event.record.status)) finish({ seq: event.seq, record: event.record });
      });
      const poll = setInterval(check, POLL_MS);
      check();
    });
  }
}
