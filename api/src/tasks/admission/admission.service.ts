import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { JobDurationsService } from '../options/job-durations.service';
import { retryAfterSeconds } from '../options/job-durations';
import { RECONCILE_SLOTS_LUA, RESERVE_SLOT_LUA } from './admission.lua';

/**
 * Grace before a reservation with no live task counts as leaked (an upload still decoding), and
 * before a `queued` task with no Bull job counts as orphaned (an enqueue or a shutdown's re-add
 * still under way on a live process: both take milliseconds, or up to SHUTDOWN_WAIT_MS).
 */
export const RESERVATION_GRACE_MS = 60_000;
/** Injection token of the grace in ms (TasksModule provides RESERVATION_GRACE_MS). */
export const RESERVATION_GRACE = 'RESERVATION_GRACE_MS';

/** Seconds a 503 admissions_paused tells the client to wait (the pause has no planned end). */
export const ADMISSIONS_PAUSED_RETRY_AFTER_S = 60;

/** An operator's pause of admissions, as kept in Redis (RedisKeys.admissionsPaused). */
export interface AdmissionsPause {
  /** ISO time the pause began (a repeated pause keeps the first time). */
  since: string;
  /** Who paused: the client address, and the Cloudflare Access email when there is one. */
  by: string;
}

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

  /**
   * Takes a queue slot for a new task id (UUID v4) on behalf of a client (its limit key,
   * common/client-address limitKey; '' = not counted per client). Throws 503 `Server busy, retry later` when the queue is full,
   * else 429 too_many_active_tasks (`Too many unfinished tasks from this client, retry when one ends`) when it holds
   * ACTIVE_TASKS_PER_CLIENT unfinished tasks; both with Retry-After = one mean job duration (s),
   * the soonest a slot (the queue's, or one of the client's) is likely to free.
   */
  async admit(client = ''): Promise<string> {
    // Judged again here: a pause may have begun while the picture decoded.
    await this.refuseIfPaused();
    const taskId = randomUUID();
    await this.throwIfRefused(await this.reserve(taskId, client));
    return taskId;
  }

  /**
   * admit()'s verdict without taking a slot (for an upload not decoded yet: a full queue or a used
   * share must cost no decoding). Throws the same 503 or 429; resolves when a slot would be given.
   * A slot can still be gone by the time admit() runs: admit() judges again.
   */
  async precheck(client = ''): Promise<void> {
    await this.throwIfRefused(await this.reserve(randomUUID(), client, true));
  }

  /**
   * Throws ApiError 503 `admissions_paused` (Retry-After ADMISSIONS_PAUSED_RETRY_AFTER_S) while an
   * operator paused admissions; one GET, so an upload is refused before its picture is decoded.
   */
  async refuseIfPaused(): Promise<void> {
    if ((await this.redis.client.exists(RedisKeys.admissionsPaused)) === 0) return;
    throw new ApiError('admissions_paused', {
      headers: { 'Retry-After': String(ADMISSIONS_PAUSED_RETRY_AFTER_S) },
    });
  }

  /** The pause in force (every api process on this Redis obeys it), or null while admissions are open. */
  async pauseState(): Promise<AdmissionsPause | null> {
    const raw = await this.redis.client.get(RedisKeys.admissionsPaused);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<AdmissionsPause>;
      return { since: String(parsed.since ?? ''), by: String(parsed.by ?? '') };
    } catch {
      return { since: '', by: '' };
    }
  }

  /**
   * Pauses admissions (idempotent: SET NX, so a repeat keeps the first pause's time and author).
   * Running and queued tasks go on. Returns the pause in force and whether this call began it.
   */
  async pause(by: string): Promise<{ pause: AdmissionsPause; changed: boolean }> {
    const pause: AdmissionsPause = { since: new Date(this.clock.now()).toISOString(), by };
    const set = await this.redis.client.set(RedisKeys.admissionsPaused, JSON.stringify(pause), 'NX');
    if (set === 'OK') return { pause, changed: true };
    return { pause: (await this.pauseState()) ?? pause, changed: false };
  }

  /** Ends a pause (idempotent); true when admissions were paused until now. */
  async resume(): Promise<boolean> {
    return (await this.redis.client.del(RedisKeys.admissionsPaused)) > 0;
  }

  private async throwIfRefused(verdict: 'admitted' | 'full' | 'client-limit'): Promise<void> {
    if (verdict === 'admitted') return;
    const headers = { 'Retry-After': String(retryAfterSeconds(await this.durations.mean())) };
    if (verdict === 'full') throw new ApiError('server_busy', { headers });
    throw new ApiError('too_many_active_tasks', { headers });
  }

  /**
   * Takes a slot for this id (holding one already counts as taken), in one step across every api
   * process (RESERVE_SLOT_LUA): 'full' when all are held, 'client-limit' when `client` (a limit
   * key; omitted = not counted per client) holds ACTIVE_TASKS_PER_CLIENT slots already (unset: half
   * the capacity, judged in the script where the live workers are counted). dryRun: judge only.
   */
  async reserve(taskId: string, client = '', dryRun = false): Promise<'admitted' | 'full' | 'client-limit'> {
    const result = Number(
      await this.redis.client.eval(
        RESERVE_SLOT_LUA,
        3,
        RedisKeys.admission,
        RedisKeys.admissionClients,
        RedisKeys.workersAlive,
        this.config.maxQueue,
        this.clock.now(),
        taskId,
        client,
        // -1: half the capacity (admission.lua.ts), the default when ACTIVE_TASKS_PER_CLIENT is unset.
        this.config.activeTasksPerClient ?? -1,
        dryRun ? '1' : '0',
      ),
    );
    return result === 1 ? 'admitted' : result === 0 ? 'full' : 'client-limit';
  }

  async release(taskId: string): Promise<void> {
    await this.redis.client
      .multi()
      .zrem(RedisKeys.admission, taskId)
      .hdel(RedisKeys.admissionClients, taskId)
      .exec();
  }

  /** Unfinished tasks that `client` (a limit key) holds now, across every api process. */
  async heldBy(client: string): Promise<number> {
    const [ids, owners] = await Promise.all([
      this.redis.client.zrange(RedisKeys.admission, 0, -1),
      this.redis.client.hgetall(RedisKeys.admissionClients),
    ]);
    return ids.filter((id) => owners[id] === client).length;
  }

  /** The ids of the tasks holding a slot now (admitted and unfinished), oldest admission first. */
  async heldIds(): Promise<string[]> {
    return this.redis.client.zrange(RedisKeys.admission, 0, -1);
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
      RedisKeys.jobPrefix,
    )) as [number, ...string[]];
    const [dropped, ...orphaned] = result;
    return { dropped: Number(dropped), orphaned };
  }
}
