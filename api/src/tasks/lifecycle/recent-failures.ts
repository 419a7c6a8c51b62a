import { Injectable } from '@nestjs/common';
import type { ErrorCode } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';

/** How far back failures are kept and counted (ms): a day. */
export const FAILURES_WINDOW_MS = 24 * 3600 * 1000;
/** The most failures kept (the newest); older ones are dropped first, so a storm cannot grow the set. */
export const FAILURES_KEPT = 10_000;
const HOUR_MS = 3600 * 1000;

/** Failures of one kind (an error_code of the error table) over the last hour and the last day. */
export interface FailureCount {
  code: string;
  last_hour: number;
  last_day: number;
}

/**
 * Counts members "<ms>:<code>:<task id>" by code: those scored after `hourFrom` (ms) count in
 * last_hour, all in last_day. Sorted by last_day, then last_hour, most first, then by code. Pure.
 */
export function countFailures(
  members: readonly { member: string; at: number }[],
  hourFrom: number,
): FailureCount[] {
  const counts = new Map<string, FailureCount>();
  for (const { member, at } of members) {
    const code = member.split(':')[1] ?? 'unknown';
    const count = counts.get(code) ?? { code, last_hour: 0, last_day: 0 };
    count.last_day += 1;
    if (at > hourFrom) count.last_hour += 1;
    counts.set(code, count);
  }
  return [...counts.values()].sort(
    (a, b) => b.last_day - a.last_day || b.last_hour - a.last_hour || a.code.localeCompare(b.code),
  );
}

/**
 * Recent task failures by kind, for the ops console (GET /api/admin/overview), shared by every api
 * process through one Redis sorted set (RedisKeys.recentFailures). TaskLifecycle.apply records a
 * job's end in `failed` (a job failure, an abandon, a cancel: its error_code says which), once
 * per job; each record trims the set to FAILURES_WINDOW_MS and FAILURES_KEPT members.
 */
@Injectable()
export class RecentFailures {
  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
  ) {}

  /** Records one failure of `code` for task `taskId` now. Never throws (a count is not worth a job). */
  async record(code: ErrorCode, taskId: string): Promise<void> {
    const now = this.clock.now();
    try {
      await this.redis.client
        .multi()
        .zadd(RedisKeys.recentFailures, now, `${now}:${code}:${taskId}`)
        .zremrangebyscore(RedisKeys.recentFailures, '-inf', now - FAILURES_WINDOW_MS)
        .zremrangebyrank(RedisKeys.recentFailures, 0, -FAILURES_KEPT - 1)
        .exec();
    } catch {
      // Redis down: the job's own failure is what matters; its count is lost.
    }
  }

  /** Failures per error_code over the last hour and the last day (countFailures), most frequent first. */
  async counts(): Promise<FailureCount[]> {
    const now = this.clock.now();
    const raw = await this.redis.client.zrangebyscore(
      RedisKeys.recentFailures,
      now - FAILURES_WINDOW_MS,
      '+inf',
      'WITHSCORES',
    );
    const members: { member: string; at: number }[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) members.push({ member: raw[i], at: Number(raw[i + 1]) });
    return countFailures(members, now - HOUR_MS);
  }
}
