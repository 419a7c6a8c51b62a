import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ApiError, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { JobDurationsService } from '../queue/job-durations.service';
import { retryAfterSeconds } from '../queue/job-durations';
import { RECONCILE_SLOTS_LUA, RESERVE_SLOT_LUA } from './admission.lua';

/** Grace before a reservation with no live task counts as leaked (an upload still decoding). */
export const RESERVATION_GRACE_MS = 60_000;
/** How often leaked admission slots are looked for. */
const RECONCILE_EVERY_MS = 60_000;

/**
 * Queue admission (docs/design.md, Queue): a task holds one slot from before its image is decoded
 * until it finishes. Slots = MAX_QUEUE waiting + 1 running. The check-and-add is one Lua
 * script, so concurrent uploads on any number of api processes can never overfill it. Slots
 * leaked by a process that died mid-upload are dropped at boot and every minute.
 */
@Injectable()
export class AdmissionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AdmissionService.name);
  private reconcileTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly durations: JobDurationsService,
  ) {}

  onModuleInit(): void {
    // Not awaited: the api starts (and reports redis down in /api/health) without Redis.
    void this.reconcileNow();
    this.reconcileTimer = setInterval(() => void this.reconcileNow(), RECONCILE_EVERY_MS);
    this.reconcileTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.reconcileTimer);
  }

  /** Slots in all: MAX_QUEUE waiting + 1 running. */
  get capacity(): number {
    return this.config.maxQueue + 1;
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
      1,
      RedisKeys.admission,
      this.capacity,
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

  /** Drops slots leaked by a process that died mid-upload; returns how many. */
  async reconcile(): Promise<number> {
    const result = await this.redis.client.eval(
      RECONCILE_SLOTS_LUA,
      1,
      RedisKeys.admission,
      RedisKeys.taskPrefix,
      this.clock.now() - RESERVATION_GRACE_MS,
    );
    return Number(result);
  }

  private async reconcileNow(): Promise<void> {
    try {
      const dropped = await this.reconcile();
      if (dropped > 0) this.logger.warn(`released ${dropped} queue slot(s) held by no live task`);
    } catch (error) {
      this.logger.warn(
        `admission reconcile failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
