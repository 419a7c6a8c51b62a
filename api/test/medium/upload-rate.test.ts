import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiError } from '../../src/common/api-error';
import { limitKey } from '../../src/common/client-address';
import { loadConfig } from '../../src/config/app-config';
import { UploadRateService } from '../../src/limits/upload-rate.service';
import { RedisService } from '../../src/redis/redis.service';
import { TEST_REDIS_URL, clearKilnKeys } from '../support/env';

/** The 429's Retry-After, or 'pass'. */
async function outcome(rate: UploadRateService, client: string): Promise<string> {
  try {
    await rate.count(client);
    return 'pass';
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.deepEqual([error.status, error.message], [429, 'Too many requests, retry later']);
    return error.headers['Retry-After'] ?? 'none';
  }
}

/** UPLOADS_PER_MINUTE on real Redis, counted by two "processes" (two connections). */
void describe('upload rate on real Redis', () => {
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, UPLOADS_PER_MINUTE: '5' }, '/tmp');
  let redisA: RedisService;
  let redisB: RedisService;
  before(() => {
    redisA = new RedisService(config);
    redisB = new RedisService(config);
  });
  beforeEach(() => clearKilnKeys());
  after(async () => {
    await redisA.onApplicationShutdown();
    await redisB.onApplicationShutdown();
    await clearKilnKeys();
  });

  void it('lets exactly 5 of 20 simultaneous uploads through across two processes, per client', async () => {
    const a = new UploadRateService(redisA, config);
    const b = new UploadRateService(redisB, config);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => outcome(i % 2 ? a : b, '203.0.113.7')),
    );
    assert.equal(results.filter((r) => r === 'pass').length, 5);
    for (const retryAfter of results.filter((r) => r !== 'pass')) {
      const seconds = Number(retryAfter);
      assert.ok(Number.isInteger(seconds) && seconds >= 59 && seconds <= 60, retryAfter);
    }
    assert.equal(await outcome(a, '203.0.113.8'), 'pass', 'another client has its own count');
  });

  void it('says how long until the window frees, and lets the client in after it', async () => {
    const a = new UploadRateService(redisA, config);
    for (let i = 0; i < 5; i++) assert.equal(await outcome(a, 'c'), 'pass');
    // Age the window to 1.5 s left, as if 58.5 s had passed.
    const [key] = await redisA.client.keys('kiln:upload-rate:c');
    assert.ok(key, 'the count lives under the project prefix');
    await redisA.client.pexpire(key, 1500);
    assert.equal(await outcome(a, 'c'), '2');
    await redisA.client.pexpire(key, 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await outcome(a, 'c'), 'pass');
  });

  void it("counts an IPv6 /48 site's /64s together: four clients' worth, then 429 for every /64 of it", async () => {
    // A trial: 300 repeats at 12.8 a second from a range of /64s, each a client of its own.
    const a = new UploadRateService(redisA, config);
    const client = (n: number): string => limitKey(`2001:db8:77:${n.toString(16)}::1`);
    for (let n = 0; n < 4; n++) {
      for (let i = 0; i < 5; i++) assert.equal(await outcome(a, client(n)), 'pass', `/64 ${n}, upload ${i}`);
    }
    assert.match(
      await outcome(a, client(4)),
      /^(59|60)$/,
      "a fifth /64's first upload: the site's count is spent",
    );
    assert.match(await outcome(a, client(0xffff)), /^(59|60)$/, 'the last /64 of the /48 too');
    assert.equal(await outcome(a, limitKey('2001:db8:78::1')), 'pass', 'the next /48 has its own count');
    assert.equal(await outcome(a, '203.0.113.9'), 'pass', 'an IPv4 client counts alone');
  });

  void it("a /64 retrying past its own limit spends none of its site's share", async () => {
    // A verification run: one /64 trying 10 times left its whole /48 two uploads, not nine.
    const a = new UploadRateService(redisA, config);
    const client = (n: number): string => limitKey(`2001:db8:79:${n.toString(16)}::1`);
    for (let i = 0; i < 12; i++) await outcome(a, client(0));
    for (let n = 1; n < 4; n++) {
      for (let i = 0; i < 5; i++) assert.equal(await outcome(a, client(n)), 'pass', `/64 ${n}, upload ${i}`);
    }
    assert.match(await outcome(a, client(4)), /^(59|60)$/, 'the site holds four clients, then none');
  });

  void it('0 turns the limit off', async () => {
    const off = new UploadRateService(
      redisA,
      loadConfig({ REDIS_URL: TEST_REDIS_URL, UPLOADS_PER_MINUTE: '0' }, '/tmp'),
    );
    for (let i = 0; i < 50; i++) assert.equal(await outcome(off, 'c'), 'pass');
    for (let i = 0; i < 50; i++) assert.equal(await outcome(off, '2001:db8:1:2::/64'), 'pass');
    assert.deepEqual(await redisA.client.keys('kiln:upload-*'), []);
  });
});
