/**
 * Medium test (real Redis): the ops console's state in Redis. Failures by kind stay bounded (a
 * day, and FAILURES_KEPT members) and count by hour and day; the admissions pause is one key that
 * every AdmissionService on the Redis obeys, idempotent both ways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ApiError } from '../../src/common/api-error';
import type { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import { RedisKeys } from '../../src/redis/redis-keys';
import type { RedisService } from '../../src/redis/redis.service';
import { AdmissionService } from '../../src/tasks/admission/admission.service';
import { FAILURES_WINDOW_MS, RecentFailures } from '../../src/tasks/lifecycle/recent-failures';
import type { JobDurationsService } from '../../src/tasks/options/job-durations.service';
import { TEST_REDIS_URL, clearKilnKeys } from '../support/env';

void describe('ops state in Redis', () => {
  const client = new Redis(TEST_REDIS_URL);
  const redis = { client } as unknown as RedisService;
  let now = Date.parse('2026-01-02T00:00:00.000Z');
  const clock = { now: () => now } as Clock;

  before(() => clearKilnKeys());
  after(async () => {
    await clearKilnKeys();
    client.disconnect();
  });

  void it('failures: counted by hour and day; older than a day dropped at the next record', async () => {
    const failures = new RecentFailures(redis, clock);
    const start = now;
    await failures.record('generation_timeout', 'a');
    now = start + 2 * 3600_000;
    await failures.record('generation_timeout', 'b');
    await failures.record('task_cancelled', 'c');
    assert.deepEqual(await failures.counts(), [
      { code: 'generation_timeout', last_hour: 1, last_day: 2 },
      { code: 'task_cancelled', last_hour: 1, last_day: 1 },
    ]);
    now = start + FAILURES_WINDOW_MS + 1;
    await failures.record('gpu_out_of_memory', 'd');
    assert.equal(await client.zcard(RedisKeys.recentFailures), 3, 'the first one left the window');
    assert.deepEqual(await failures.counts(), [
      { code: 'gpu_out_of_memory', last_hour: 1, last_day: 1 },
      { code: 'generation_timeout', last_hour: 0, last_day: 1 },
      { code: 'task_cancelled', last_hour: 0, last_day: 1 },
    ]);
  });

  void it('pause: one key both admission services obey; repeats change nothing; resume ends it', async () => {
    const config = loadConfig({}, '/srv');
    const durations = { mean: () => Promise.resolve(30) } as unknown as JobDurationsService;
    const [one, two] = [0, 1].map(() => new AdmissionService(redis, clock, config, durations, 60_000));
    assert.equal(await one.pauseState(), null);
    const first = await one.pause('192.0.2.1 (ana@example.com)');
    assert.equal(first.changed, true);
    const again = await two.pause('192.0.2.9');
    assert.deepEqual([again.changed, again.pause], [false, first.pause]);
    for (const admission of [one, two]) {
      await assert.rejects(
        admission.admit('client'),
        (e: unknown) =>
          e instanceof ApiError && e.code === 'admissions_paused' && e.headers['Retry-After'] === '60',
      );
    }
    assert.equal(await one.held(), 0, 'a refused upload takes no slot');
    assert.equal(await two.resume(), true);
    assert.equal(await one.resume(), false);
    const id = await one.admit('client');
    await one.release(id);
  });
});
