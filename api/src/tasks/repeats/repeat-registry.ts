import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { OPTION_FIELDS, type GenerationOptions } from '../options/generation-options';

/**
 * Instant repeats (docs/design.md, HTTP contract): a request's key is the hash of its normalised
 * picture, the engine and the options; `kiln:repeat:{key}` names the task that holds that key
 * (kept as long as a model is, RETENTION_HOURS). Claiming is one SET NX, so of two identical
 * requests at once exactly one makes the job and the other finds it.
 */
@Injectable()
export class RepeatRegistry {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  /** sha256 (hex) of the normalised PNG, the engine's name and the options in a fixed order. */
  static keyOf(png: Buffer, engine: string, options: GenerationOptions): string {
    const hash = createHash('sha256').update(png).update('\0').update(engine);
    for (const name of OPTION_FIELDS) hash.update(`\0${name}=${String(options[name])}`);
    return hash.digest('hex');
  }

  private get ttlS(): number {
    return Math.max(1, Math.round(this.config.retentionHours * 3600));
  }

  /**
   * Makes taskId the key's holder if it has none and resolves null (this request makes the job);
   * else resolves with the holder's task id.
   */
  async claim(key: string, taskId: string): Promise<string | null> {
    const redisKey = RedisKeys.repeat(key);
    const set = await this.redis.client.set(redisKey, taskId, 'EX', this.ttlS, 'NX');
    if (set === 'OK') return null;
    const holder = await this.redis.client.get(redisKey);
    if (holder !== null) return holder;
    // The key expired between the two calls: claim it once more. Should another request win
    // that race too, this one still makes its own job (null): a rare extra job, never a wrong model.
    await this.redis.client.set(redisKey, taskId, 'EX', this.ttlS, 'NX');
    return null;
  }

  /** The task holding the key, or null; claims nothing (a request refused a queue slot only looks). */
  async holderOf(key: string): Promise<string | null> {
    return this.redis.client.get(RedisKeys.repeat(key));
  }

  /** Makes taskId the key's holder whatever held it (a failed task, a model no longer kept, a reuse), for the retention time. */
  async hold(key: string, taskId: string): Promise<void> {
    await this.redis.client.set(RedisKeys.repeat(key), taskId, 'EX', this.ttlS);
  }
}
