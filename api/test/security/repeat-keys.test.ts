import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/redis-keys';
import { TEST_REDIS_URL } from '../support/env';
import { type MadeTask, cancelTask, postPicture, sample } from '../support/http-client';
import { attackVolume, useSecurityApi } from './support';

/** The instant-repeat keys in the test Redis (`kiln:repeat:*`, or the unfinished jobs' `kiln:repeat-live:*`). */
async function repeatKeys(pattern = RedisKeys.repeat('*')): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    return await redis.keys(pattern);
  } finally {
    redis.disconnect();
  }
}

/**
 * Repeat keys (docs/design.md, HTTP contract): a key names a completed job's kept model, so a
 * stranger's uploads that never complete (cancelled here; the api has no sidecar) mint none; the
 * keys that name an unfinished job (for repeats to follow it) go with the job. Keys
 * of completed jobs and their repeats: e2e/repeats.test.ts (a real engine).
 */
void describe('security: repeat keys (INSTANT_REPEATS=on, no sidecar)', () => {
  const api = useSecurityApi('repeat-keys', { INSTANT_REPEATS: 'on' });

  void it('attack: distinct uploads (a new seed each: 12, 40 in the full profile), cancelled -> no kiln:repeat key is left, not one per upload', async () => {
    const png = sample('typical_misc_lantern.png');
    const made: MadeTask[] = [];
    for (let seed = 1; seed <= attackVolume(12, 40); seed++) {
      const reply = await postPicture(api().url, png, { seed: String(seed) });
      assert.equal(reply.status, 202, await reply.clone().text());
      made.push((await reply.json()) as MadeTask);
    }
    assert.deepEqual(await repeatKeys(), [], 'none while they wait');
    // While waiting, each job is named by its two request keys for repeats to follow: bounded by the slots.
    assert.equal((await repeatKeys(RedisKeys.repeatLive('*'))).length, 2 * made.length);
    for (const task of made) assert.equal((await cancelTask(api().url, task)).status, 200);
    assert.deepEqual(await repeatKeys(), [], 'none once cancelled');
    assert.deepEqual(await repeatKeys(RedisKeys.repeatLive('*')), [], 'no live key outlives its job');
  });
});
