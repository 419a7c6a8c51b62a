import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { REPEAT_KEYS_FIELD } from '../state/task-store.service';
import { OPTION_FIELDS, type GenerationOptions } from '../options/generation-options';

/** Repeat keys read per SCAN step and per FORGET_HOLDERS_LUA call (forgetHolders). */
const REPEAT_SCAN = 500;

/**
 * KEYS: repeat keys; ARGV: task ids. Deletes each key whose value is one of the ids; returns how
 * many went.
 */
const FORGET_HOLDERS_LUA = `
local gone = {}
for i = 1, #ARGV do gone[ARGV[i]] = true end
local deleted = 0
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and gone[holder] then
    redis.call('DEL', key)
    deleted = deleted + 1
  end
end
return deleted
`;

/**
 * Instant repeats (docs/design.md, HTTP contract): a request's key is the hash of its normalised
 * picture, the engine and the options (keyOf); its upload key the hash of the uploaded bytes, the
 * engine and the options (uploadKeyOf: known before any decoding). `kiln:repeat:{key}` names the
 * task whose kept model answers that key, for as long as a model is kept (RETENTION_HOURS);
 * `kiln:repeat-live:{key}` the unfinished job a repeat follows (liveJobOf), until the job ends.
 *
 * Keys are written for completed jobs only (remember, when the task completes; hold, when a repeat
 * answered from a kept model takes over the same key): an upload that never completes (refused,
 * cancelled, failed, still waiting) mints none. So the keys a stranger can grow are at most two per
 * job the GPU finished within RETENTION_HOURS, never one per upload (issue 19). Until then a task
 * keeps its keys in its own hash (REPEAT_KEYS_FIELD), which expires with the task.
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

  /**
   * sha256 (hex) of the uploaded bytes as sent, the engine and the options: the same upload again
   * is found without decoding it (a full queue answers a byte-identical repeat at no decode cost).
   */
  static uploadKeyOf(bytes: Buffer, engine: string, options: GenerationOptions): string {
    return RepeatRegistry.keyOf(Buffer.concat([Buffer.from('upload\0'), bytes]), engine, options);
  }

  private get ttlS(): number {
    return Math.max(1, Math.round(this.config.retentionHours * 3600));
  }

  /** The task holding the key, or null. */
  async holderOf(key: string): Promise<string | null> {
    return this.redis.client.get(RedisKeys.repeat(key));
  }

  /** Makes taskId the key's holder whatever held it (a repeat answered from a kept model), for the retention time. */
  async hold(key: string, taskId: string): Promise<void> {
    await this.redis.client.set(RedisKeys.repeat(key), taskId, 'EX', this.ttlS);
  }

  /**
   * A job just completed: the keys its intake kept in its first task's hash (REPEAT_KEYS_FIELD,
   * comma-separated) now name `holderId`, a completed task of the job (its first task, or one
   * following it when the first was cancelled), for the retention time; the field goes. Nothing
   * for a job stored without keys.
   */
  async remember(jobId: string, holderId: string = jobId): Promise<void> {
    const taskKey = RedisKeys.task(jobId);
    const keys = await this.redis.client.hget(taskKey, REPEAT_KEYS_FIELD);
    if (!keys) return;
    const write = this.redis.client.multi();
    for (const key of keys.split(',')) write.set(RedisKeys.repeat(key), holderId, 'EX', this.ttlS);
    await write.hdel(taskKey, REPEAT_KEYS_FIELD).exec();
  }

  /**
   * The tasks `taskIds` are gone (TaskLifecycle.forgetModels: the cleanup deleted their model):
   * every key naming one of them goes (FORGET_HOLDERS_LUA: compare and delete, so a key that a
   * repeat has meanwhile made name another task stays), found by scanning `kiln:repeat:*`
   * (REPEAT_SCAN keys a step; the keys of unfinished jobs, `kiln:repeat-live:*`, are not among
   * them). Without this such a key would name no task until its TTL: harmless for a repeat (it
   * finds no holder and runs a job), but a full queue would decode its upload first (mayRepeat).
   * Returns how many keys were deleted. Throws on a Redis error.
   */
  async forgetHolders(taskIds: readonly string[]): Promise<number> {
    if (taskIds.length === 0) return 0;
    let deleted = 0;
    const batches = this.redis.client.scanStream({ match: RedisKeys.repeat('*'), count: REPEAT_SCAN });
    for await (const keys of batches as AsyncIterable<string[]>) {
      if (keys.length === 0) continue;
      deleted += Number(await this.redis.client.eval(FORGET_HOLDERS_LUA, keys.length, ...keys, ...taskIds));
    }
    return deleted;
  }

  /**
   * The unfinished job a request key names, or null: TaskStore.create writes the key with the
   * job's task (at most two per queue slot), the step that ends the job deletes it (endJob in
   * task-store.lua.ts), TASK_TTL_S bounds one a crash left.
   */
  async liveJobOf(key: string): Promise<string | null> {
    return this.redis.client.get(RedisKeys.repeatLive(key));
  }
}
