/**
 * Medium (real Redis): pub/sub ignores database numbers, so RedisService names every channel for
 * its database: two instances on two databases of one server never hear each other's task events
 * or cancels, while two processes on the same database do.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisService } from '../../src/redis/redis.service';
import { TEST_REDIS_URL, sleep } from '../support/env';

/** The test database's URL with another database number (0-15: the next one, wrapping). */
function otherDatabase(url: string): string {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || '0');
  parsed.pathname = `/${(db + 1) % 16}`;
  return parsed.toString();
}

void describe('pub/sub channels per Redis database', () => {
  const here = loadConfig({ REDIS_URL: TEST_REDIS_URL }, '/tmp');
  const there = loadConfig({ REDIS_URL: otherDatabase(TEST_REDIS_URL) }, '/tmp');
  let publisher: RedisService;
  let sameDatabase: RedisService;
  let otherDb: RedisService;

  before(() => {
    publisher = new RedisService(here);
    sameDatabase = new RedisService(here);
    otherDb = new RedisService(there);
  });
  after(async () => {
    await Promise.all([publisher, sameDatabase, otherDb].map((r) => r.onApplicationShutdown()));
  });

  void it('a message reaches the processes on its database and no other', async () => {
    const heard: Record<string, string[]> = { same: [], other: [] };
    // This test's own messages: suites running beside it may use the other database (npm test
    // gives each its own), and their cancels there are not ours to count.
    const probe = `probe-${randomUUID()}`;
    const stop = [
      sameDatabase.listen(RedisKeys.cancelChannel, (m) => heard['same'].push(m)),
      otherDb.listen(RedisKeys.cancelChannel, (m) => heard['other'].push(m)),
    ];
    try {
      assert.notEqual(publisher.channel(RedisKeys.cancelChannel), otherDb.channel(RedisKeys.cancelChannel));
      // Subscriptions are made in the background: publish until the same database hears one.
      for (let i = 0; i < 50 && heard['same'].length === 0; i++) {
        await publisher.publish(RedisKeys.cancelChannel, `${probe}-${i}`);
        await sleep(50);
      }
      await sleep(200);
      assert.ok(heard['same'].length > 0, 'the same database hears it');
      assert.deepEqual(
        heard['other'].filter((m) => m.startsWith(probe)),
        [],
        'another database of the same server hears nothing',
      );
    } finally {
      for (const unlisten of stop) unlisten();
    }
  });
});
