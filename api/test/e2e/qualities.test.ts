/**
 * End to end (issue 12): the quality presets a GPU can run within JOB_TIMEOUT_S, through the built
 * api and a real simulate sidecar whose jobs outlast a short limit: GET /api/qualities lists every
 * preset, two timed-out `high` jobs take `high` off the list, and POST /api/generate then answers
 * 422 naming the preset, its measured time and what is still offered, before any queue slot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useApi } from '../support/api-process';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/redis-keys';
import { TEST_REDIS_URL } from '../support/env';
import { type MadeTask, cancelTask, getJson, postPicture, sample } from '../support/http-client';

const PNG = sample('typical_misc_lantern.png');

interface Preset {
  quality: string;
  offered: boolean;
  measured_s: number | null;
  measured_jobs: number;
}

void describe('quality presets that fit the job limit (simulate engine, JOB_TIMEOUT_S=2)', () => {
  const api = useApi('e2e-qualities', {
    env: { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '6', JOB_TIMEOUT_S: '2' },
  });

  const presets = async (): Promise<{ body: Record<string, unknown>; list: Preset[] }> => {
    const { status, body } = await getJson(`${api.url}/api/qualities`);
    assert.equal(status, 200);
    return { body, list: body['presets'] as Preset[] };
  };

  void it('offers every preset before any job ran, and says which options the engine never uses', async () => {
    const { body, list } = await presets();
    assert.equal(body['job_timeout_s'], 2);
    assert.equal(body['measured_on'], null);
    // The sidecar's own Health (the simulate engine's seed turns its model; its texturing honours texture_size).
    assert.deepEqual(body['unused_options'], {
      generate: ['quality', 'texture_size', 'faces'],
      texture: ['seed', 'texture_resolution'],
    });
    assert.deepEqual(
      list.map((p) => [p.quality, p.offered, p.measured_jobs]),
      [
        ['fast', true, 0],
        ['balanced', true, 0],
        ['high', true, 0],
      ],
    );
  });

  void it('refuses high with 422 once two of its jobs ran to the limit; fast and balanced stay offered', async () => {
    for (let i = 0; i < 2; i += 1) {
      const response = await postPicture(api.url, PNG, { quality: 'high' }, '?wait=true');
      assert.equal(response.status, 504);
      assert.deepEqual(await response.json(), {
        success: false,
        error: 'Generation timeout',
        code: 'generation_timeout',
      });
    }
    const { body, list } = await presets();
    assert.equal(body['measured_on'], 'simulate on cpu, limit 2 s');
    assert.deepEqual(
      list.map((p) => [p.quality, p.offered, p.measured_s, p.measured_jobs]),
      [
        ['fast', true, null, 0],
        ['balanced', true, null, 0],
        ['high', false, 2, 2],
      ],
    );
    const refused = await postPicture(api.url, PNG, { quality: 'high' });
    assert.equal(refused.status, 422);
    assert.deepEqual(await refused.json(), {
      success: false,
      error: 'Unavailable quality: high takes about 2.0 s here, over the 2 s job limit; use fast or balanced',
      code: 'unavailable_quality',
    });
    const queue = (await getJson(`${api.url}/api/health`)).body['queue'] as Record<string, number>;
    assert.equal(queue['slots_held'], 0, 'no queue slot taken');

    const fast = await postPicture(api.url, PNG, { quality: 'fast' });
    assert.equal(fast.status, 202, 'a preset not measured yet is offered');
    const made = (await fast.json()) as MadeTask;
    assert.equal((await cancelTask(api.url, made)).status, 200);
  });
});

void describe('a repeat of a kept model is answered though its preset is no longer offered (simulate engine)', () => {
  const api = useApi('e2e-qualities-repeat', {
    env: { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '1', JOB_TIMEOUT_S: '30', INSTANT_REPEATS: 'on' },
  });

  void it('high refused (its measured jobs near the limit): a new picture gets 422, a repeat of a kept high model 202', async () => {
    const first = await postPicture(api.url, PNG, { quality: 'high', seed: '3' }, '?wait=true');
    assert.equal(first.status, 200);
    const kept = ((await first.json()) as { model_url: string }).model_url;
    // Two jobs measured near the limit under this api's profile (as a slow card would leave them).
    const redis = new Redis(TEST_REDIS_URL);
    try {
      await redis.del(RedisKeys.durations('high'));
      await redis.rpush(RedisKeys.durations('high'), '29', '30');
    } finally {
      redis.disconnect();
    }
    const refused = await postPicture(api.url, PNG, { quality: 'high', seed: '4' });
    assert.equal(refused.status, 422);
    assert.match(
      ((await refused.json()) as { error: string }).error,
      /^Unavailable quality: high takes about 30 s here/,
    );
    const repeat = await postPicture(api.url, PNG, { quality: 'high', seed: '3' });
    assert.equal(repeat.status, 202, 'a repeat needs no GPU');
    const id = ((await repeat.json()) as { task_id: string }).task_id;
    const task = (await getJson(`${api.url}/api/tasks/${id}`)).body;
    assert.deepEqual([task['status'], task['generation_time']], ['completed', 0], 'no job ran');
    assert.equal(task['model_url'], kept, "the kept model's file");
  });
});
