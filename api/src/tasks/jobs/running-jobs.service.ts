import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';

/**
 * The jobs this process runs, and the two ways one is stopped: a cancel (RedisKeys.cancelChannel,
 * so a DELETE on any api process aborts the job where it runs) and a graceful shutdown (abortAll,
 * called by GenerationProcessor once its worker takes no new job).
 */
@Injectable()
export class RunningJobsService implements OnModuleInit, OnModuleDestroy {
  /** Jobs running in this process, by task id. */
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  private started = 0;
  private unlisten: (() => void) | undefined;

  constructor(private readonly redis: RedisService) {}

  onModuleInit(): void {
    this.unlisten = this.redis.listen(RedisKeys.cancelChannel, (taskId) => this.abortLocal(taskId));
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /**
   * Shutdown: aborts every running job, and any that starts from now on, then waits for them
   * (at most waitMs); false if one was still running then.
   */
  async abortAll(waitMs: number): Promise<boolean> {
    this.stopping = true;
    for (const controller of this.running.values()) controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
    const settled = Promise.allSettled([...this.inFlight]).then(() => true);
    try {
      return await Promise.race([settled, deadline]);
    } finally {
      clearTimeout(timer);
    }
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

  /** Registers the task's job as running here; its signal aborts on cancel or shutdown (already if one began). */
  start(taskId: string): AbortSignal {
    const controller = new AbortController();
    if (this.stopping) controller.abort();
    this.running.set(taskId, controller);
    this.started += 1;
    return controller.signal;
  }

  /** Jobs this process started since it started (the ops console's "jobs since start"). */
  get jobsStarted(): number {
    return this.started;
  }

  /** Tasks whose job runs in this process now (the worker heartbeat reports them). */
  get runningTaskIds(): string[] {
    return [...this.running.keys()];
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
    await this.redis.publish(RedisKeys.cancelChannel, taskId);
  }
}
