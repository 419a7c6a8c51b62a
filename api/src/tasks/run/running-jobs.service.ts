import { BeforeApplicationShutdown, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';

/** On shutdown, how long the running job has to wind down after its abort. */
const SHUTDOWN_WAIT_MS = 15_000;

/** Thrown out of a job interrupted by this process shutting down, so Bull runs it again. */
export class ShutdownInterruption extends Error {
  constructor(taskId: string) {
    super(`task ${taskId} interrupted by api shutdown; requeued`);
    this.name = 'ShutdownInterruption';
  }
}

/**
 * The jobs this process runs, and the two ways one is stopped: a cancel (RedisKeys.cancelChannel,
 * so a DELETE on any api process aborts the job where it runs) and a graceful shutdown (SIGTERM:
 * every running job is aborted, then awaited, while Redis and the sidecar are still up).
 */
@Injectable()
export class RunningJobsService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  /** Jobs running in this process, by task id. */
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  private unlisten: (() => void) | undefined;

  constructor(private readonly redis: RedisService) {}

  onModuleInit(): void {
    this.unlisten = this.redis.listen(RedisKeys.cancelChannel, (taskId) => this.abortLocal(taskId));
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /** Aborts every running job and waits for them (at most SHUTDOWN_WAIT_MS). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const controller of this.running.values()) controller.abort();
    const deadline = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
  }

  /** True once a graceful shutdown began: no job starts, an aborted one goes back to the queue. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Resolves as the job does; until then the shutdown waits for it. */
  async track<T>(job: Promise<T>): Promise<T> {
    this.inFlight.add(job);
    try {
      return await job;
    } finally {
      this.inFlight.delete(job);
    }
  }

  /** Registers the task's job as running here; its signal aborts on cancel or shutdown. */
  start(taskId: string): AbortSignal {
    const controller = new AbortController();
    this.running.set(taskId, controller);
    return controller.signal;
  }

  /** The task's job no longer runs here. */
  end(taskId: string): void {
    this.running.delete(taskId);
  }

  /** Aborts the task's job if this process runs it; true if it did. */
  abortLocal(taskId: string): boolean {
    const controller = this.running.get(taskId);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  /** Aborts the task's job on whichever api process runs it. */
  async requestAbort(taskId: string): Promise<void> {
    await this.redis.client.publish(RedisKeys.cancelChannel, taskId);
  }
}
