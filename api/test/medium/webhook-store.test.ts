/**
 * Medium (real Redis): the webhook records (webhooks/webhook-store.ts). Every api process hears
 * every task event, so each status change must become one delivery whichever process sees it
 * first, a late event must not send an old status again, and a progress event is no change; a
 * client's unfinished callback deliveries are capped, and a place whose delivery surely ended
 * (a process died mid-delivery) comes back by itself; so are a client's (and its /48 site's)
 * attempts in flight, whose places are leased: a process that died mid-attempt leaves nothing
 * counted once the lease ends, not even the key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import { RedisService } from '../../src/redis/redis.service';
import { SITE_SHARE, limitKey } from '../../src/common/client-address';
import { WebhookStore } from '../../src/webhooks/webhook-store';
import { RedisKeys } from '../../src/redis/redis-keys';
import { TEST_REDIS_URL, clearKilnKeys, sleep } from '../support/env';

void describe('webhook store (real Redis)', () => {
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL }, '/tmp');
  // Two "processes": two connections, two stores.
  let redisA: RedisService;
  let redisB: RedisService;
  let a: WebhookStore;
  let b: WebhookStore;

  before(async () => {
    await clearKilnKeys();
    redisA = new RedisService(config);
    redisB = new RedisService(config);
    a = new WebhookStore(redisA);
    b = new WebhookStore(redisB);
  });
  after(async () => {
    await Promise.all([redisA, redisB].map((r) => r.onApplicationShutdown()));
    await clearKilnKeys();
  });

  void it('claims each status change once across processes; late and progress events claim nothing', async () => {
    const task = randomUUID();
    assert.equal(await a.claimChange(task, 1, 'queued'), undefined, 'no webhook registered: nothing');
    await a.register(task, {
      baseUrl: 'https://api.example.com',
      callbackUrl: 'https://hooks.example.com/k',
      client: 'c1',
    });
    // Both processes hear event 1 (queued): one wins.
    const first = await Promise.all([a.claimChange(task, 1, 'queued'), b.claimChange(task, 1, 'queued')]);
    assert.equal(first.filter((claim) => claim !== undefined).length, 1);
    assert.deepEqual(
      first.find((claim) => claim !== undefined),
      { baseUrl: 'https://api.example.com', callbackUrl: 'https://hooks.example.com/k', client: 'c1' },
    );
    assert.ok(await b.claimChange(task, 3, 'processing'), 'a new status');
    assert.equal(await a.claimChange(task, 4, 'processing'), undefined, 'progress: the same status');
    assert.equal(await a.claimChange(task, 2, 'queued'), undefined, 'a late event of an older status');
    assert.ok(await a.claimChange(task, 5, 'queued'), 'back in the queue (a restart): a change again');
    assert.ok(await b.claimChange(task, 7, 'completed'));
    assert.equal(await a.claimChange(task, 7, 'completed'), undefined);
  });

  void it("caps a client's unfinished deliveries; a released or expired place comes back", async () => {
    const now = Date.now();
    const later = now + 60_000;
    assert.ok(await a.reservePending('c2', 'j1', now, later, 2));
    assert.ok(await b.reservePending('c2', 'j2', now, later, 2));
    assert.ok(await a.reservePending('c2', 'j1', now, later, 2), 'held already: still its own');
    assert.equal(await a.reservePending('c2', 'j3', now, later, 2), false, 'full');
    assert.ok(await a.reservePending('c3', 'j3', now, later, 2), 'another client is not counted');
    await b.releasePending('c2', 'j1');
    assert.ok(await a.reservePending('c2', 'j3', now, later, 2), 'a released place');
    assert.equal(await a.reservePending('c2', 'j4', now, later, 2), false);
    // A place whose delivery surely ended (its process died) is dropped when the next one asks.
    assert.ok(await a.reservePending('c4', 'old', now - 120_000, now - 1, 1));
    assert.ok(await a.reservePending('c4', 'new', now, later, 1));
    assert.ok(await a.reservePending('c5', 'any', now, later, 0), '0: no limit');
  });

  void it("caps an IPv6 /48 site's unfinished deliveries at SITE_SHARE clients' worth, all its /64s together", async () => {
    // A trial: 160 deliveries to a slow receiver from 8 /64s, 20 each.
    const now = Date.now();
    const later = now + 60_000;
    const client = (n: number): string => limitKey(`2001:db8:44:${n.toString(16)}::1`);
    for (let n = 0; n < SITE_SHARE; n++) {
      for (let j = 0; j < 2; j++) assert.ok(await a.reservePending(client(n), `s${n}.${j}`, now, later, 2));
    }
    assert.equal(
      await b.reservePending(client(SITE_SHARE), 'fresh', now, later, 2),
      false,
      'a fresh /64: the site is full',
    );
    assert.ok(await b.reservePending(limitKey('2001:db8:45::1'), 'other', now, later, 2), 'another /48');
    await b.releasePending(client(0), 's0.0');
    assert.ok(
      await a.reservePending(client(SITE_SHARE), 'fresh', now, later, 2),
      'a place given back to the site',
    );
  });

  void it("bounds a client's attempts in flight across processes, atomically; a place given back is free again", async () => {
    const now = Date.now();
    const lease = 60_000;
    // Twenty attempts of one client at once, from two processes: four get a place.
    const tries = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).acquireInFlight('f1', `j${i}`, now, lease, 4),
      ),
    );
    const holders = tries.flatMap((taken, i) => (taken ? [`j${i}`] : []));
    assert.equal(holders.length, 4);
    assert.ok(
      await a.acquireInFlight('f1', holders[0], now, lease, 4),
      'held already (a stalled job run again): its own',
    );
    assert.equal(await b.acquireInFlight('f1', 'late', now, lease, 4), false);
    assert.ok(await b.acquireInFlight('f2', 'late', now, lease, 4), 'another client is not counted');
    await b.releaseInFlight('f1', holders[1]);
    assert.ok(await a.acquireInFlight('f1', 'late', now, lease, 4), 'a place given back');
    assert.equal(await a.acquireInFlight('f1', 'later', now, lease, 4), false);
    for (const id of [holders[0], holders[2], holders[3], 'late']) await a.releaseInFlight('f1', id);
    assert.equal(
      await redisA.client.exists(RedisKeys.webhookInFlight('f1')),
      0,
      'all given back: nothing left',
    );
    assert.ok(await a.acquireInFlight('f3', 'any', now, lease, 0), '0: no limit');
    assert.equal(await redisA.client.exists(RedisKeys.webhookInFlight('f3')), 0, '0: nothing counted');
  });

  void it("bounds an IPv6 /48 site's attempts in flight at SITE_SHARE clients' worth", async () => {
    const now = Date.now();
    const client = (n: number): string => limitKey(`2001:db8:46:${n.toString(16)}::1`);
    for (let n = 0; n < SITE_SHARE; n++) {
      for (let j = 0; j < 2; j++) assert.ok(await a.acquireInFlight(client(n), `f${n}.${j}`, now, 60_000, 2));
    }
    assert.equal(
      await b.acquireInFlight(client(SITE_SHARE), 'fresh', now, 60_000, 2),
      false,
      'a fresh /64: the site is full',
    );
    assert.ok(await b.acquireInFlight(limitKey('2001:db8:47::1'), 'other', now, 60_000, 2), 'another /48');
    await b.releaseInFlight(client(0), 'f0.0');
    assert.ok(
      await a.acquireInFlight(client(SITE_SHARE), 'fresh', now, 60_000, 2),
      'a place given back to the site',
    );
  });

  void it('a place whose process died mid-attempt is free when its lease ends, and the keys expire', async () => {
    const now = Date.now();
    // A process took both places, then died: nothing gives them back.
    const site = limitKey('2001:db8:48:1::1');
    for (const id of ['dead1', 'dead2']) assert.ok(await a.acquireInFlight(site, id, now, 400, 2));
    assert.equal(await b.acquireInFlight(site, 'next', now + 399, 400, 2), false, 'within the lease: held');
    // The next taker's clock past the leases: they are dropped.
    assert.ok(await b.acquireInFlight(site, 'next', now + 401, 400, 2), 'after the lease: free');
    await b.releaseInFlight(site, 'next');
    // With no taker at all, Redis drops the client's and the site's sets by themselves.
    const keys = [RedisKeys.webhookInFlight(site), RedisKeys.webhookInFlight('2001:db8:48::/48')];
    assert.ok(await a.acquireInFlight(site, 'dies', Date.now(), 300, 2));
    assert.equal(await redisA.client.exists(...keys), 2);
    await sleep(500);
    assert.equal(await redisA.client.exists(...keys), 0, 'nothing left above zero');
  });

  void it('keeps at most 100 attempts per task, oldest first', async () => {
    const task = randomUUID();
    for (let attempt = 1; attempt <= 105; attempt++) {
      await a.record(task, {
        id: 'msg_x',
        type: 'task.completed',
        target: 'callback',
        attempt,
        at: new Date().toISOString(),
        outcome: 'retrying',
        duration_ms: 1,
      });
    }
    const kept = await b.attempts(task);
    assert.equal(kept.length, 100);
    assert.deepEqual([kept[0].attempt, kept[99].attempt], [6, 105]);
  });
});
