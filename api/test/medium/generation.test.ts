import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import { InferenceError, type InferenceJob } from '../../src/inference/inference.repository';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { TEST_REDIS_URL, tempDir, waitFor } from '../support/env';
import { FakeInference, heldJob, succeed } from '../support/fake-inference';
import { useTasksHarness } from '../support/tasks-harness';

/** The queue, the processor and the generation service on real Redis and Bull, with a fake sidecar. */
void describe('generation queue (real Redis + Bull, fake inference)', () => {
  const dir = tempDir('generation');
  const config = loadConfig(
    {
      REDIS_URL: TEST_REDIS_URL,
      MAX_QUEUE: '3',
      STATIC_DIR: dir.path,
      INFERENCE_ENGINE: 'simulate',
      SIMULATE_SECONDS: '1',
    },
    '/tmp',
  );
  const fake = new FakeInference();
  const h = useTasksHarness(config, fake);
  after(() => dir.remove());

  const submit = async (): Promise<string> => {
    const id = await h.admission.admit();
    await h.create(id, Buffer.from('png bytes'));
    return id;
  };

  void it('completes a task: progress events, the web GLB made from the source, slot released', async () => {
    const id = await submit();
    const seen: string[] = [];
    const unsubscribe = h.events.subscribe(id, (e) =>
      seen.push(`${e.record.status}:${e.record.progress ?? ''}`),
    );
    const record = await h.finalOf(id);
    unsubscribe();
    assert.equal(record.status, 'completed');
    assert.equal(record.progress, 100);
    // Files named by the task's model id, a UUID of their own (issue 19).
    const modelId = String(record.model_id);
    assert.notEqual(modelId, id);
    assert.equal(record.model_path, `/static/${modelId}.glb`);
    assert.equal(record.download_path, `/static/${modelId}.source.glb`);
    assert.equal(record.engine, 'fake');
    assert.ok(typeof record.generation_time === 'number');
    const web = await readFile(join(dir.path, `${modelId}.glb`));
    const source = await readFile(join(dir.path, `${modelId}.source.glb`));
    assert.deepEqual(web, Buffer.concat([Buffer.from('web:'), source]), 'the optimiser made {uuid}.glb');
    // Issue 21: its LOD, published beside it and named in the record (lod_url in the snapshot).
    assert.equal(record.lod_path, `/static/${modelId}.lod.glb`);
    const lod = await readFile(join(dir.path, `${modelId}.lod.glb`));
    assert.deepEqual(lod, Buffer.concat([Buffer.from('lod:'), source]), 'the optimiser made {uuid}.lod.glb');
    assert.ok(!(await readdir(dir.path)).some((n) => n.endsWith('.partial')), 'no temporary file left');
    assert.ok(seen.includes('completed:100'));
    assert.equal(await h.moduleRef.get(TaskStore).getImage(id), null, 'the image is dropped once done');
    await waitFor('the job to leave Bull', async () =>
      (await h.bull.getJob(id)) === null ? true : undefined,
    );
  });

  void it('runs a task with its options (quality as the pipeline type) and records what the engine ignored', async () => {
    const jobs: InferenceJob[] = [];
    fake.behaviour = async (job, onProgress) => {
      jobs.push(job);
      return { ...(await succeed(job, onProgress)), seed: job.seed, ignored: ['pipeline_type', 'faces'] };
    };
    const id = await h.admission.admit();
    const options = { quality: 'fast', seed: 7, texture_size: 4096, faces: 20_000 };
    await h.create(id, Buffer.from('png bytes'), options);
    const record = await h.finalOf(id);
    assert.equal(record.status, 'completed');
    assert.deepEqual(record.options, options);
    assert.deepEqual(record.ignored_options, ['quality', 'faces']);
    assert.deepEqual(
      jobs.map((j) => [j.seed, j.pipelineType, j.textureSize, j.faces]),
      [[7, '512', 4096, 20_000]],
    );
  });

  void it('runs tasks one at a time in FIFO order and publishes positions as the queue moves', async () => {
    const hold = heldJob();
    fake.behaviour = hold.behaviour;
    const first = await submit();
    await hold.started;
    fake.behaviour = (job, onProgress) => succeed(job, onProgress);
    const waiting = [await submit(), await submit(), await submit()];
    const positions = await Promise.all(waiting.map(async (id) => (await h.tasks.get(id))?.record.position));
    assert.deepEqual(positions, [1, 2, 3]);
    assert.equal(typeof (await h.tasks.get(waiting[2]))?.record.eta_s, 'number');
    // Full: 1 running + MAX_QUEUE (3) waiting.
    await assert.rejects(h.admission.admit(), (e: Error & { status?: number }) => e.status === 503);
    const thirdPositions: number[] = [];
    const unsubscribe = h.events.subscribe(waiting[2], (e) => {
      if (e.record.position !== undefined) thirdPositions.push(e.record.position);
    });
    hold.release();
    for (const id of waiting) assert.equal((await h.finalOf(id)).status, 'completed');
    unsubscribe();
    assert.deepEqual(fake.calls, [first, ...waiting]);
    assert.deepEqual(thirdPositions, [2, 1], 'the last one moved up as the queue drained');
  });

  const failures: [string, () => Error, number, string][] = [
    ['TIMEOUT', () => new InferenceError('TIMEOUT', 'over 180 s'), 504, 'Generation timeout'],
    ['OOM', () => new InferenceError('OOM', 'CUDA out of memory'), 500, 'GPU out of memory'],
    [
      'INVALID_INPUT',
      () => new InferenceError('INVALID_INPUT', 'no foreground'),
      422,
      'No object found in the image',
    ],
    // The sidecar went away during a job it had begun: that job's failure, not "no engine".
    [
      'UNAVAILABLE',
      () => new InferenceError('UNAVAILABLE', 'sidecar died during the job'),
      500,
      'Internal error',
    ],
    ['a plain Error', () => new Error('boom'), 500, 'Internal error'],
  ];
  for (const [name, error, status, message] of failures) {
    void it(`maps ${name} to failed ${status} "${message}"`, async () => {
      // After the sidecar began the job (its first progress): nothing is sent again.
      fake.behaviour = (_job, onProgress) => {
        onProgress({ stage: 'preprocess', percent: 0, message: '' });
        return Promise.reject(error());
      };
      const record = await h.finalOf(await submit());
      assert.equal(record.status, 'failed');
      assert.equal(record.http_status, status);
      assert.equal(record.error, message);
    });
  }

  void it('a sidecar unreachable before the job began (no progress yet): the job is sent again once, and made', async () => {
    let calls = 0;
    fake.behaviour = (job, onProgress) => {
      calls += 1;
      if (calls === 1) return Promise.reject(new InferenceError('UNAVAILABLE', 'connect ECONNREFUSED'));
      return succeed(job, onProgress);
    };
    const record = await h.finalOf(await submit());
    assert.equal(record.status, 'completed');
    assert.equal(calls, 2);
  });

  void it('cancels a waiting task: its job leaves Bull and never runs', async () => {
    const hold = heldJob();
    fake.behaviour = hold.behaviour;
    const running = await submit();
    await hold.started;
    const waiting = await submit();
    assert.equal((await h.tasks.get(waiting))?.record.position, 1);
    const cancelled = await h.cancel(waiting);
    assert.equal(cancelled.record.status, 'failed');
    assert.equal(cancelled.record.cancelled, true);
    assert.equal(cancelled.record.http_status, 409);
    assert.deepEqual(
      [cancelled.record.position, cancelled.record.eta_s],
      [undefined, undefined],
      'no queue figures left',
    );
    assert.equal(await h.bull.getJob(waiting), null);
    hold.release();
    assert.equal((await h.finalOf(running)).status, 'completed');
    assert.deepEqual(fake.calls, [running]);
    await assert.rejects(h.cancel(waiting), (e: Error & { status?: number }) => e.status === 409);
  });

  void it('cancels a running task through its abort signal; the next task runs', async () => {
    const hold = heldJob();
    fake.behaviour = hold.behaviour;
    const running = await submit();
    await hold.started;
    fake.behaviour = (job, onProgress) => succeed(job, onProgress);
    const next = await submit();
    const cancelled = await h.cancel(running);
    assert.equal(cancelled.record.error, 'Task cancelled');
    assert.equal((await h.finalOf(running)).status, 'failed');
    assert.equal((await h.finalOf(next)).status, 'completed');
    await waitFor('slots released', async () =>
      (await h.bull.getJobCounts()).active === 0 ? true : undefined,
    );
  });
});
