import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { ApiError } from '../../src/common/api-error';
import { loadConfig } from '../../src/config/app-config';
import { QualityPresetsService } from '../../src/tasks/options/quality-presets.service';
import { InferenceError, type InferenceJob } from '../../src/inference/inference.repository';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisService } from '../../src/redis/redis.service';
import { DURATION_SAMPLES, DURATION_TTL_S } from '../../src/tasks/options/job-durations';
import { JobDurationsService } from '../../src/tasks/options/job-durations.service';
import type { TaskOptionsRecord } from '../../src/tasks/state/task-snapshot';
import { TEST_REDIS_URL, tempDir } from '../support/env';
import { FakeInference, heldJob, succeed } from '../support/fake-inference';
import { useTasksHarness } from '../support/tasks-harness';

/** The fake sidecar's profile under this suite's limit (JobDurationsService.profile()). */
const PROFILE = 'fake on cpu, limit 20 s';

const options = (quality: string): TaskOptionsRecord => ({
  quality,
  seed: 42,
  texture_size: 2048,
  faces: 500_000,
});

/**
 * Issue 12: durations per quality preset on the running engine and device (what the ETA counts
 * and which presets fit JOB_TIMEOUT_S), on real Redis and Bull with a fake sidecar.
 */
void describe('job durations per quality (real Redis + Bull, fake inference)', () => {
  const dir = tempDir('quality-durations');
  const config = loadConfig(
    {
      REDIS_URL: TEST_REDIS_URL,
      MAX_QUEUE: '5',
      STATIC_DIR: dir.path,
      INFERENCE_ENGINE: 'simulate',
      SIMULATE_SECONDS: '1',
      JOB_TIMEOUT_S: '20',
    },
    '/tmp',
  );
  const fake = new FakeInference();
  const harness = useTasksHarness(config, fake);
  const durations = (): JobDurationsService => harness.moduleRef.get(JobDurationsService);
  const redis = (): RedisService => harness.moduleRef.get(RedisService);

  const submit = async (quality: string): Promise<string> => {
    const id = await harness.admission.admit();
    await harness.create(id, Buffer.from('png bytes'), options(quality));
    return id;
  };

  beforeEach(async () => {
    await redis().client.del(
      RedisKeys.durationProfile,
      ...['fast', 'balanced', 'high', 'texture'].map(RedisKeys.durations),
    );
  });
  after(() => dir.remove());

  void it('keeps the newest samples per quality, expiring a day after the last; a job under another profile drops them all', async () => {
    for (let i = 1; i <= DURATION_SAMPLES + 2; i += 1) await durations().record('fast', i, PROFILE);
    assert.equal(await durations().record('high', 99, PROFILE), false);
    const samples = await durations().samples();
    assert.equal(samples.profile, PROFILE);
    assert.deepEqual(samples.byQuality.fast, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    assert.deepEqual(samples.byQuality.high, [99]);
    const ttl = await redis().client.ttl(RedisKeys.durations('fast'));
    assert.ok(ttl > DURATION_TTL_S - 10 && ttl <= DURATION_TTL_S, `ttl ${ttl}`);
    const other = 'trellis2 on cuda:0 (NVIDIA GeForce RTX 4090), limit 180 s';
    assert.equal(await durations().record('balanced', 40, other), true, 'another GPU, engine or limit');
    await durations().record('texture', 30, other);
    assert.deepEqual(await redis().client.lrange(RedisKeys.durations('texture'), 0, -1), ['30.000']);
    assert.equal(await durations().record('fast', 1, PROFILE), true);
    const lists = await Promise.all(
      ['fast', 'balanced', 'high', 'texture'].map((q) =>
        redis().client.lrange(RedisKeys.durations(q), 0, -1),
      ),
    );
    assert.deepEqual(lists, [['1.000'], [], [], []], 'texturing samples go with the profile too');
  });

  void it('a process whose ready sidecar runs under another profile reads none of the stored samples (an engine switched between starts)', async () => {
    await durations().record('fast', 10.3, 'simulate on cpu, limit 20 s');
    await durations().record('fast', 10.4, 'simulate on cpu, limit 20 s');
    const samples = await durations().samples();
    assert.deepEqual(samples, {
      profile: null,
      byQuality: { fast: [], balanced: [], high: [] },
      texture: [],
    });
    assert.equal(await durations().mean(), durations().fallbackS, 'the ETA falls back as before any job');
    const presets = harness.moduleRef.get(QualityPresetsService);
    assert.equal(await presets.refusal('fast'), undefined);
  });

  void it('while the sidecar starts (device not known yet) samples of the same engine and limit hold, others not', async () => {
    fake.state = 'loading';
    try {
      await durations().record('fast', 10, 'fake on cuda:0 (NVIDIA GeForce RTX 4090), limit 20 s');
      assert.deepEqual((await durations().samples()).byQuality.fast, [10]);
      await durations().record('fast', 11, 'fake on cpu, limit 30 s');
      assert.deepEqual((await durations().samples()).byQuality.fast, [], 'another limit');
      await durations().record('fast', 12, 'simulate on cpu, limit 20 s');
      assert.deepEqual((await durations().samples()).byQuality.fast, [], 'another engine');
    } finally {
      fake.state = 'ready';
    }
  });

  void it("records the sidecar call's seconds under the task's quality and the engine and device that ran it", async () => {
    fake.behaviour = async (job: InferenceJob, onProgress) => {
      await new Promise((r) => setTimeout(r, 300));
      return succeed(job, onProgress);
    };
    const record = await harness.finalOf(await submit('fast'));
    assert.equal(record.status, 'completed');
    const samples = await durations().samples();
    assert.equal(samples.profile, 'fake on cpu, limit 20 s');
    assert.equal(samples.byQuality.fast.length, 1);
    assert.ok(
      samples.byQuality.fast[0] >= 0.3 && samples.byQuality.fast[0] < 5,
      `${samples.byQuality.fast[0]} s`,
    );
    assert.deepEqual([samples.byQuality.balanced, samples.byQuality.high], [[], []]);
  });

  void it("a texturing job's seconds are kept as texturing's, not under a quality; they count in a refusal's Retry-After", async () => {
    fake.behaviour = async (job: InferenceJob, onProgress) => {
      await new Promise((r) => setTimeout(r, 300));
      return succeed(job, onProgress);
    };
    const id = await harness.admission.admit();
    await harness.create(
      id,
      Buffer.from('png bytes'),
      { seed: 42, texture_size: 2048, texture_resolution: 1024 },
      Buffer.from('glb bytes'),
    );
    assert.equal((await harness.finalOf(id)).status, 'completed');
    const samples = await durations().samples();
    assert.equal(samples.texture.length, 1);
    assert.ok(samples.texture[0] >= 0.3 && samples.texture[0] < 5, `${samples.texture[0]} s`);
    assert.deepEqual(
      [samples.byQuality.fast, samples.byQuality.balanced, samples.byQuality.high],
      [[], [], []],
    );
    assert.equal(await durations().mean(), samples.texture[0]);
  });

  void it('a timed-out job counts as the limit; a failed or cancelled one counts nothing', async () => {
    fake.behaviour = () => Promise.reject(new InferenceError('TIMEOUT', 'over the limit'));
    assert.equal((await harness.finalOf(await submit('high'))).http_status, 504);
    fake.behaviour = () => Promise.reject(new InferenceError('OOM', 'CUDA out of memory'));
    assert.equal((await harness.finalOf(await submit('high'))).http_status, 500);
    const hold = heldJob();
    fake.behaviour = hold.behaviour;
    const cancelled = await submit('high');
    await hold.started;
    await harness.cancel(cancelled);
    assert.equal((await harness.finalOf(cancelled)).http_status, 409);
    assert.deepEqual((await durations().samples()).byQuality.high, [20]);
  });

  void it("each waiting task's ETA counts the running job and the tasks ahead by their quality", async () => {
    for (const [quality, s] of [
      ['fast', 10],
      ['fast', 10],
      ['high', 100],
      ['high', 100],
    ] as const) {
      await durations().record(quality, s, PROFILE);
    }
    const hold = heldJob();
    fake.behaviour = hold.behaviour;
    const running = await submit('high');
    await hold.started;
    const waiting = [await submit('fast'), await submit('high'), await submit('balanced')];
    const etas = await Promise.all(waiting.map(async (id) => (await harness.tasks.get(id))?.record.eta_s));
    // balanced was never measured: the mean of every job (55 s).
    assert.deepEqual(etas, [100, 110, 210]);
    fake.behaviour = (job, onProgress) => succeed(job, onProgress);
    hold.release();
    for (const id of [running, ...waiting]) assert.equal((await harness.finalOf(id)).status, 'completed');
  });

  void it('a preset whose measured jobs do not fit JOB_TIMEOUT_S is refused with 422 naming it; a faster one is still offered', async () => {
    const presets = harness.moduleRef.get(QualityPresetsService);
    fake.behaviour = () => Promise.reject(new InferenceError('TIMEOUT', 'over the limit'));
    assert.equal((await harness.finalOf(await submit('high'))).http_status, 504);
    assert.equal(await presets.refusal('high'), undefined, 'one timed-out job refuses nothing');
    assert.equal((await harness.finalOf(await submit('high'))).http_status, 504);
    const refusal = await presets.refusal('high');
    assert.ok(refusal instanceof ApiError);
    assert.deepEqual(
      [refusal.status, refusal.message],
      [422, 'Unavailable quality: high takes about 20 s here, over the 20 s job limit; use fast or balanced'],
    );
    assert.equal(await presets.refusal('balanced'), undefined);
    const list = await presets.list();
    assert.equal(list.job_timeout_s, 20);
    assert.equal(list.measured_on, 'fake on cpu, limit 20 s');
    assert.deepEqual(
      list.presets.map((p) => [
        p.quality,
        p.pipeline_type,
        p.default,
        p.offered,
        p.measured_s,
        p.measured_jobs,
      ]),
      [
        ['fast', '512', false, true, null, 0],
        ['balanced', '1024_cascade', true, true, null, 0],
        ['high', '1536_cascade', false, false, 20, 2],
      ],
    );
  });
});
