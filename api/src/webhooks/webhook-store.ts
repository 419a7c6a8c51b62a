import { Injectable } from '@nestjs/common';
import { SITE_SHARE, siteKey } from '../common/client-address';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { TASK_TTL_S } from '../tasks/state/task-store.service';
import type { TaskStatus } from '../tasks/state/task-snapshot';
import type { WebhookEventType } from './webhook-payload';

/** The most delivery attempts kept per task (oldest dropped first). */
export const MAX_LOGGED_ATTEMPTS = 100;

/** Where a task's webhooks go, as registered when it was made. */
export interface WebhookTargets {
  /** The origin its snapshot's URLs are made absolute against (PUBLIC_BASE_URL or its request's). */
  baseUrl: string;
  /** Its maker's callback_url; undefined when none was sent. */
  callbackUrl: string | undefined;
  /** Its maker's client key (common/client-address limitKey): whose pending deliveries it counts in. */
  client: string;
}

/** Who a delivery is for: the owner's WEBHOOK_URL, or the task maker's callback_url. */
export type WebhookTarget = 'owner' | 'callback';

/** One recorded attempt of one delivery (GET /api/tasks/{id}/webhooks shows the callback's). */
export interface DeliveryAttemptRecord {
  /** The message id (`webhook-id`), the same on every attempt of a delivery. */
  id: string;
  type: WebhookEventType;
  target: WebhookTarget;
  /** 1, 2, ...: which attempt of the delivery. */
  attempt: number;
  /** When the attempt ended (ISO 8601). */
  at: string;
  /**
   * delivered (2xx), retrying (failed; another attempt is scheduled), failed (failed; the last
   * attempt within WEBHOOK_RETRY_FOR_S), refused (the address policy forbade it; never retried),
   * dropped (not sent, attempt 0: the maker's client had WEBHOOK_PENDING_PER_CLIENT deliveries
   * unfinished, or its attempts in flight, WEBHOOK_IN_FLIGHT_PER_CLIENT, held this one back until
   * WEBHOOK_RETRY_FOR_S ran out; the delivery ended).
   */
  outcome: 'delivered' | 'retrying' | 'failed' | 'refused' | 'dropped';
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  error?: string;
  duration_ms: number;
}

/**
 * Claims a task's status change for delivery, once across every api process (each hears every
 * task event): KEYS[1] the task's webhook hash; ARGV seq, status. Nothing when the task has no
 * webhook hash (no target), when an event at or past this seq was seen already (events may reach
 * a slow process late), or when the status is the last one claimed (a progress event); otherwise
 * records (status, seq) and returns {base_url, callback_url or ''}.
 */
const CLAIM_CHANGE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if seq <= last then return false end
redis.call('HSET', KEYS[1], 'seq', seq)
if redis.call('HGET', KEYS[1], 'status') == ARGV[2] then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
return {redis.call('HGET', KEYS[1], 'base_url') or '', redis.call('HGET', KEYS[1], 'callback_url') or '',
  redis.call('HGET', KEYS[1], 'client') or ''}
`;

/**
 * Takes a place among a client's unfinished deliveries: KEYS[1] its sorted set, KEYS[2] (an IPv6
 * client's) its /48 site's; ARGV job id, now (ms), the time by which this delivery has surely
 * ended (ms), the limit, the sets' TTL (s), the site's share (SITE_SHARE: its limit is that many
 * times the client's). Places whose end time passed are dropped first (a process that died
 * mid-delivery leaks none). Returns 1 when taken (or already held), 0 when the client holds
 * `limit` places or its site its share.
 */
const RESERVE_PENDING_LUA = `
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
for i, key in ipairs(KEYS) do
  if redis.call('ZCARD', key) >= tonumber(ARGV[4]) * (i == 1 and 1 or tonumber(ARGV[6])) then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[3], ARGV[1])
  redis.call('EXPIRE', key, ARGV[5])
end
return 1
`;

/**
 * Takes a place among a client's callback attempts in flight (a lease): KEYS[1] its sorted set,
 * KEYS[2] (an IPv6 client's) its /48 site's; ARGV job id, now (ms), the lease's end (ms), the
 * limit, the lease's length (ms), the site's share (SITE_SHARE). Leases that ended are dropped
 * first, and each set expires with its newest lease (PEXPIRE, on Redis's own clock), so an attempt
 * whose process died holds its place until its lease ends, never longer. Returns 1 when taken (or
 * held already by this job: a stalled job run again; its lease renewed), 0 when the client holds
 * `limit` places or its site its share.
 */
const ACQUIRE_IN_FLIGHT_LUA = `
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  for i, key in ipairs(KEYS) do
    if redis.call('ZCARD', key) >= tonumber(ARGV[4]) * (i == 1 and 1 or tonumber(ARGV[6])) then return 0 end
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[3], ARGV[1])
  redis.call('PEXPIRE', key, ARGV[5])
end
return 1
`;

/** A client's sorted sets under `keyOf`: its own, and its IPv6 /48 site's (siteKey). */
function clientKeys(client: string, keyOf: (client: string) => string): string[] {
  const site = siteKey(client);
  return [keyOf(client), ...(site === undefined ? [] : [keyOf(site)])];
}

/** The sorted sets of a client's unfinished deliveries: its own, and its IPv6 /48 site's (siteKey). */
function pendingKeys(client: string): string[] {
  return clientKeys(client, RedisKeys.webhookPending);
}

/**
 * A task's webhook records in Redis (RedisKeys.webhook, RedisKeys.webhookLog), both with the
 * task's TTL: its targets and the last status change delivered, and the log of delivery attempts
 * (at most MAX_LOGGED_ATTEMPTS); and per client, across processes, its unfinished callback
 * deliveries (RedisKeys.webhookPending) and its callback attempts in flight
 * (RedisKeys.webhookInFlight).
 */
@Injectable()
export class WebhookStore {
  constructor(private readonly redis: RedisService) {}

  /** Records where task `taskId`'s webhooks go (once, when it is made). */
  async register(taskId: string, targets: WebhookTargets): Promise<void> {
    const key = RedisKeys.webhook(taskId);
    await this.redis.client
      .multi()
      .hset(
        key,
        'base_url',
        targets.baseUrl,
        'client',
        targets.client,
        ...(targets.callbackUrl ? ['callback_url', targets.callbackUrl] : []),
      )
      .expire(key, TASK_TTL_S)
      .exec();
  }

  /**
   * Claims the change of task `taskId` to `status` seen at event id `seq` (CLAIM_CHANGE_LUA): its
   * targets for the one caller that gets it; undefined for every other caller, or when the task has
   * no webhook, or the status did not change.
   */
  async claimChange(taskId: string, seq: number, status: TaskStatus): Promise<WebhookTargets | undefined> {
    const claimed = (await this.redis.client.eval(
      CLAIM_CHANGE_LUA,
      1,
      RedisKeys.webhook(taskId),
      seq,
      status,
    )) as [string, string, string] | null;
    if (!claimed) return undefined;
    return {
      baseUrl: claimed[0],
      callbackUrl: claimed[1] === '' ? undefined : claimed[1],
      client: claimed[2],
    };
  }

  /**
   * Takes one of `client`'s `limit` places for unfinished deliveries (RESERVE_PENDING_LUA) for
   * delivery `jobId`, held until `release` or `endsBy` (ms since the epoch, when it has surely
   * ended); false when the client holds them all, or its IPv6 /48 site SITE_SHARE times `limit`
   * (a stranger's /64s cannot each hold `limit`). `limit` 0 = no limit (nothing is counted).
   */
  async reservePending(
    client: string,
    jobId: string,
    now: number,
    endsBy: number,
    limit: number,
  ): Promise<boolean> {
    if (limit === 0) return true;
    const ttlS = Math.max(1, Math.ceil((endsBy - now) / 1000));
    const keys = pendingKeys(client);
    const taken = await this.redis.client.eval(
      RESERVE_PENDING_LUA,
      keys.length,
      ...keys,
      jobId,
      now,
      endsBy,
      limit,
      ttlS,
      SITE_SHARE,
    );
    return Number(taken) === 1;
  }

  /** Gives back delivery `jobId`'s place among `client`'s (and its site's) unfinished deliveries (it ended). */
  async releasePending(client: string, jobId: string): Promise<void> {
    const multi = this.redis.client.multi();
    for (const key of pendingKeys(client)) multi.zrem(key, jobId);
    await multi.exec();
  }

  /**
   * Takes one of `client`'s `limit` places for callback attempts in flight (ACQUIRE_IN_FLIGHT_LUA)
   * for delivery `jobId`'s attempt, leased for `leaseMs` from `now` (ms since the epoch) unless
   * given back first (releaseInFlight); false when the client holds them all, or its IPv6 /48 site
   * SITE_SHARE times `limit`. `limit` 0 = no limit (nothing is counted).
   */
  async acquireInFlight(
    client: string,
    jobId: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<boolean> {
    if (limit === 0) return true;
    const keys = clientKeys(client, RedisKeys.webhookInFlight);
    const lease = Math.max(1, Math.ceil(leaseMs));
    const taken = await this.redis.client.eval(
      ACQUIRE_IN_FLIGHT_LUA,
      keys.length,
      ...keys,
      jobId,
      now,
      now + lease,
      limit,
      lease,
      SITE_SHARE,
    );
    return Number(taken) === 1;
  }

  /** Gives back delivery `jobId`'s place among `client`'s (and its site's) attempts in flight (it ended). */
  async releaseInFlight(client: string, jobId: string): Promise<void> {
    const multi = this.redis.client.multi();
    for (const key of clientKeys(client, RedisKeys.webhookInFlight)) multi.zrem(key, jobId);
    await multi.exec();
  }

  /** Appends one attempt to the task's delivery log (the oldest go past MAX_LOGGED_ATTEMPTS). */
  async record(taskId: string, attempt: DeliveryAttemptRecord): Promise<void> {
    const key = RedisKeys.webhookLog(taskId);
    await this.redis.client
      .multi()
      .rpush(key, JSON.stringify(attempt))
      .ltrim(key, -MAX_LOGGED_ATTEMPTS, -1)
      .expire(key, TASK_TTL_S)
      .exec();
  }

  /** The task's recorded attempts, oldest first. */
  async attempts(taskId: string): Promise<DeliveryAttemptRecord[]> {
    const entries = await this.redis.client.lrange(RedisKeys.webhookLog(taskId), 0, -1);
    return entries.map((entry) => JSON.parse(entry) as DeliveryAttemptRecord);
  }
}
