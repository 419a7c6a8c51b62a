import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { JobDurationsService } from '../queue/job-durations.service';
import { retryAfterSeconds } from '../queue/job-durations';
import { RECONCILE_SLOTS_LUA, RESERVE_SLOT_LUA } from './admission.lua';

/**
 * Grace before a reservation with no live task counts as leaked (an upload still decoding), and
 * before a `queued` task with no Bull job counts as orphaned (an enqueue or a shutdown's re-add
 * still under way on a live process: both take milliseconds, or up to SHUTDOWN_WAIT_MS).
 */
export const RESERVATION_GRACE_MS = 60_000;
/** Injection token of the grace in ms (TasksModule provides RESERVATION_GRACE_MS). */
export const RESERVATION_GRACE = 'RESERVATION_GRACE_MS';

/** What one reconcile pass found: slots dropped, and tasks left `queued` with no Bull job. */
export interface ReconcileResult {
  dropped: number;
  orphaned: string[];
}

/**
 * Queue admission (docs/design.md, Queue): a task holds one slot from before its image is decoded
 * until it finishes. Slots = MAX_QUEUE waiting + one running per live worker. The check-and-add is one Lua
 * script, so concurrent uploads on any number of api processes can never overfill it. Leaked
 * slots and orphaned tasks are found by reconcile(), which TaskQueueService runs at boot and
 * every minute.
 */
@Injectable()
export class AdmissionService {
  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly durations: JobDurationsService,
    @Inject(RESERVATION_GRACE) private readonly graceMs: number = RESERVATION_GRACE_MS,
  ) {}

  /** Workers whose heartbeat has not lapsed (WorkerRegistry), across every process on this Redis. */
  async liveWorkers(): Promise<number> {
    return this.redis.client.zcount(RedisKeys.workersAlive, `(${this.clock.now()}`, '+inf');
  }

  /** Slots in all: one running per live worker (at least one) + MAX_QUEUE waiting. */
  async capacity(): Promise<number> {
    return Math.max(1, await this.liveWorkers()) + this.config.maxQueue;
  }

  /** Takes a queue slot for a new task id (UUID v4), or throws 503 with Retry-After (s). */
  async admit(): Promise<string> {
    const taskId = randomUUID();
    if (!(await this.reserve(taskId))) {
      const retryAfter = retryAfterSeconds(await this.durations.mean());
      throw new ApiError(503, ErrorMessage.busy, { 'Retry-After': String(retryAfter) });
    }
    return taskId;
  }

  /** Takes a slot for this id; false when all are held (holding one already counts as taken). */
  async reserve(taskId: string): Promise<boolean> {
    const result = await this.redis.client.eval(
      RESERVE_SLOT_LUA,
      2,
      RedisKeys.admission,
      RedisKeys.workersAlive,
      this.config.maxQueue,
      this.clock.now(),
      taskId,
    );
    return Number(result) === 1;
  }

  async release(taskId: string): Promise<void> {
    await this.redis.client.zrem(RedisKeys.admission, taskId);
  }

  /** Slots held now, across every api process. */
  async held(): Promise<number> {
    return this.redis.client.zcard(RedisKeys.admission);
  }

  /**
   * One atomic pass over the slots taken more than the grace period ago (RECONCILE_SLOTS_LUA):
   * drops those of finished or vanished tasks, and returns the ids of `queued` tasks unchanged
   * for as long that have no Bull job (jobKeyPrefix + task id), for the caller to enqueue again.
   */
  async reconcile(jobKeyPrefix: string): Promise<ReconcileResult> {
    const cutoff = this.clock.now() - this.graceMs;
    const result = (await this.redis.client.eval(
      RECONCILE_SLOTS_LUA,
      1,
      RedisKeys.admission,
      RedisKeys.taskPrefix,
      cutoff,
      new Date(cutoff).toISOString(),
      jobKeyPrefix,
    )) as [number, ...string[]];
    const [dropped, ...orphaned] = result;
    return { dropped: Number(dropped), orphaned };
  }
}
