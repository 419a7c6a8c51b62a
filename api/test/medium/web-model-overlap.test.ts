import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import {
  type GlbOptimisationStats,
  GlbOptimizer,
  InvalidSourceModelError,
} from '../../src/glb/glb-optimizer';
import { TEST_REDIS_URL, clearKilnKeys, sleep, tempDir, waitFor } from '../support/env';
import { FakeInference, succeed } from '../support/fake-inference';
import { type TasksHarness, startTasksHarness } from '../support/tasks-harness';

/**
 * An optimiser that holds each model until release(): the web model of a task is ready only when
 * the test says so. Writes "web:" + the source, as MarkingOptimizer does.
 */
class GateOptimizer extends GlbOptimizer {
  readonly started: string[] = [];
  private gate!: Promise<void>;
  private open!: () => void;
  failWith: Error | undefined;

  constructor() {
    super();
    this.close();
  }

  close(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
  }

  async optimise(sourcePath: string, targetPath: string): Promise<GlbOptimisationStats> {
    this.started.push(sourcePath);
    await this.gate;
    if (this.failWith) throw this.failWith;
    const source = await readFile(sourcePath);
    await writeFile(targetPath, Buffer.concat([Buffer.from('web:'), source]));
    return {
      sourceBytes: source.length,
      webBytes: source.length + 4,
      lodBytes: 0,
      textures: 0,
      seconds: 0,
      notes: [],
    };
  }
}

const configFor = (dir: string, overlap: boolean) =>
  loadConfig(
    {
      REDIS_URL: TEST_REDIS_URL,
      MAX_QUEUE: '3',
      STATIC_DIR: dir,
      INFERENCE_ENGINE: 'simulate',
      WEB_MODEL_OVERLAP: overlap ? 'true' : 'false',
    },
    '/tmp',
  );

/**
 * The web optimisation of a model no longer holds the GPU (docs/design.md, Queue): the next task's
 * sidecar call starts while the last model is optimised, and `completed` waits for the web model.
 * Real Redis and Bull, a fake sidecar, an optimiser the test holds.
 */
void describe('web model after the GPU job (WEB_MODEL_OVERLAP)', () => {
  const dir = tempDir('web-overlap');
  const fake = new FakeInference();
  const optimizer = new GateOptimizer();
  let h: TasksHarness;

  const submit = async (): Promise<string> => {
    const id = await h.admission.admit();
    await h.create(id, Buffer.from('png bytes'));
    return id;
  };

  before(async () => {
    h = await startTasksHarness(configFor(dir.path, true), fake, undefined, optimizer);
  });
  beforeEach(() => {
    fake.calls.length = 0;
    fake.behaviour = (job, onProgress) => succeed(job, onProgress);
    optimizer.started.length = 0;
    optimizer.failWith = undefined;
    optimizer.close();
  });
  after(async () => {
    optimizer.release();
    await h.moduleRef.close();
    await clearKilnKeys();
    dir.remove();
  });

  void it("starts the next task's sidecar call before the last task's `completed`", async () => {
    const order: string[] = [];
    const ids: string[] = [];
    fake.behaviour = (job, onProgress) => {
      order.push(`sidecar:${ids.indexOf(job.taskId)}`);
      return succeed(job, onProgress);
    };
    const first = await h.admission.admit();
    ids.push(first);
    const unsubscribe = h.events.subscribe(first, (e) => order.push(`first:${e.record.status}`));
    await h.create(first, Buffer.from('png bytes'));
    const firstModel = String((await h.tasks.get(first))?.record.model_id);
    const second = await h.admission.admit();
    ids.push(second);
    await h.create(second, Buffer.from('png bytes'));
    await waitFor('the second sidecar call', () =>
      Promise.resolve(fake.calls.length === 2 ? true : undefined),
    );
    assert.deepEqual(fake.calls, [first, second], 'FIFO');
    assert.equal(optimizer.started.length >= 1, true, "the first model's optimisation is running");
    assert.equal(
      (await h.tasks.get(first))?.record.status,
      'processing',
      'not completed before its web model',
    );
    assert.equal(existsSync(join(dir.path, `${firstModel}.glb`)), false);
    optimizer.release();
    assert.equal((await h.finalOf(first)).status, 'completed');
    assert.equal((await h.finalOf(second)).status, 'completed');
    unsubscribe();
    assert.ok(order.includes('sidecar:1') && order.includes('first:completed'), order.join(', '));
    assert.ok(
      order.indexOf('sidecar:1') < order.indexOf('first:completed'),
      `second sidecar start before first completed: ${order.join(', ')}`,
    );
    const web = await readFile(join(dir.path, `${firstModel}.glb`));
    assert.equal(web.subarray(0, 4).toString(), 'web:', 'completed names a web model that exists');
    assert.equal(await h.bull.getJob(first), null);
  });

  void it('a task cancelled while its web model is made ends cancelled, with no files left', async () => {
    const id = await submit();
    const model = String((await h.tasks.get(id))?.record.model_id);
    await waitFor('its optimisation', () =>
      Promise.resolve(optimizer.started.length === 1 ? true : undefined),
    );
    assert.ok(existsSync(join(dir.path, `${model}.source.glb`)), 'its source, named by its model id');
    await h.cancel(id);
    optimizer.release();
    const record = await h.finalOf(id);
    assert.equal(record.status, 'failed');
    assert.equal(record.cancelled, true);
    await waitFor('its files to go', () =>
      Promise.resolve(
        !existsSync(join(dir.path, `${model}.source.glb`)) && !existsSync(join(dir.path, `${model}.glb`))
          ? true
          : undefined,
      ),
    );
    await sleep(200);
    assert.equal((await h.tasks.get(id))?.record.status, 'failed', 'a finished task never changes');
  });

  void it('a source the optimiser refuses fails its task with 500; the next task completes', async () => {
    optimizer.failWith = new InvalidSourceModelError(1, ['bad accessor']);
    optimizer.release();
    const bad = await submit();
    const record = await h.finalOf(bad);
    assert.equal(record.status, 'failed');
    assert.equal(record.http_status, 500);
    assert.equal(record.error, 'Internal error');
    optimizer.failWith = undefined;
    assert.equal((await h.finalOf(await submit())).status, 'completed');
  });
});

void describe('web model inside the GPU job (WEB_MODEL_OVERLAP=false, the old path)', () => {
  const dir = tempDir('web-inline');
  const fake = new FakeInference();
  const optimizer = new GateOptimizer();
  let h: TasksHarness;

  before(async () => {
    h = await startTasksHarness(configFor(dir.path, false), fake, undefined, optimizer);
  });
  after(async () => {
    optimizer.release();
    await h.moduleRef.close();
    await clearKilnKeys();
    dir.remove();
  });

  void it('the next sidecar call waits for the last web model', async () => {
    const first = await h.admission.admit();
    await h.create(first, Buffer.from('png bytes'));
    const second = await h.admission.admit();
    await h.create(second, Buffer.from('png bytes'));
    await waitFor('the first optimisation', () =>
      Promise.resolve(optimizer.started.length === 1 ? true : undefined),
    );
    await sleep(500);
    assert.deepEqual(fake.calls, [first], 'the GPU job still holds the queue');
    optimizer.release();
    assert.equal((await h.finalOf(first)).status, 'completed');
    assert.equal((await h.finalOf(second)).status, 'completed');
    assert.deepEqual(fake.calls, [first, second]);
  });
});
