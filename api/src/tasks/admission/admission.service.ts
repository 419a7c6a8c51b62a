import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { RECONCILE_SLOTS_LUA, RESERVE_SLOT_LUA } from '../state/task-store.lua';

/** Grace before a reservation with no live task counts as leaked (an upload still decoding). */
export const RESERVATION_GRACE_MS = 60_000;

/**
 * Queue admission (docs/design.md, Queue): a task holds one slot from before its image is decoded
 * until it finishes. Slots = MAX_QUEUE waiting + 1 running. The check-and-add is one Lua
 * script, so concurrent uploads on any number of api processes can never overfill it.
 */
@Injectable()
export class AdmissionService {
  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get capacity(): number {
    return this.config.maxQueue + 1;
  }

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
}
