import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Test, type TestingModule } from '@nestjs/testing';
import { loadConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import type { InferenceJob, InferenceResult } from '../../src/inference/inference.repository';
import { TaskEventsService } from '../../src/tasks/events/task-events.service';
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import type { TaskRecord } from '../../src/tasks/state/task-snapshot';
import { GenerationWorkerModule } from '../../src/tasks/run/generation-worker.module';
import { TasksModule } from '../../src/tasks/tasks.module';
import { RedisModule } from '../../src/redis/redis.module';
import { AdmissionService } from '../../src/tasks/admission/admission.service';
import { TEST_REDIS_URL, clearKilnKeys, tempDir, waitFor } from '../support/env';
import { FakeInference, fakeInferenceModule } from '../support/fake-inference';
import { glbJson, pixelBombPng, texturedGridGlb } from '../support/glb-models';

/**
 * The web model stage inside a real job (real Redis, Bull, StorageService and the worker-thread
 * optimiser; only the sidecar is fake, so it can hand over chosen GLB bytes).
 */
void describe('web model stage in the generation job', () => {
  const dir = tempDir('web-model-job');
  const config = loadConfig(
    { REDIS_URL: TEST_REDIS_URL, STATIC_DIR: dir.path, INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '1' },
    '/tmp',
  );
  const fake = new FakeInference();
  let moduleRef: TestingModule;
  let admission: AdmissionService;
  let lifecycle: TaskLifecycle;
  let events: TaskEventsService;
  let engineOutput: Uint8Array = new Uint8Array();

  /** Runs one task to its end; `id` names its model files (its model id, never its task id). */
  const runTask = async (): Promise<{ id: string; record: TaskRecord }> => {
    const taskId = await admission.admit();
    await lifecycle.create(taskId, Buffer.from('png bytes'));
    const state = await events.waitForTerminal(taskId);
    assert.ok(state);
    const id = state.record.model_id;
    assert.ok(id !== undefined && id !== taskId, 'files named by a model id of their own');
    return { id, record: state.record };
  };

  before(async () => {
    await clearKilnKeys();
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        RedisModule,
        fakeInferenceModule(fake),
        TasksModule,
        GenerationWorkerModule,
      ],
    }).compile();
    moduleRef.enableShutdownHooks();
    await moduleRef.init();
    admission = moduleRef.get(AdmissionService);
    lifecycle = moduleRef.get(TaskLifecycle);
    events = moduleRef.get(TaskEventsService);
    fake.behaviour = async (job: InferenceJob): Promise<InferenceResult> => {
      await writeFile(job.modelPath, engineOutput);
      return {
        triangles: 0,
        bytes: engineOutput.length,
        seconds: 0.01,
        engine: 'fake',
      };
    };
  });
  beforeEach(() => (engineOutput = new Uint8Array()));
  after(async () => {
    await moduleRef.close();
    await clearKilnKeys();
    dir.remove();
  });

  void it('a valid engine GLB completes with an optimised {uuid}.glb beside the untouched source', async () => {
    engineOutput = await texturedGridGlb({ cells: 40, textureSize: 256 });
    const { id, record } = await runTask();
    assert.equal(record.status, 'completed', JSON.stringify(record));
    const web = new Uint8Array(await readFile(join(dir.path, `${id}.glb`)));
    assert.deepEqual(new Uint8Array(await readFile(join(dir.path, `${id}.source.glb`))), engineOutput);
    assert.ok((glbJson(web)['extensionsUsed'] as string[]).includes('EXT_meshopt_compression'));
  });

  void it('an engine GLB that fails glTF-Validator fails the task: 500 Internal error, no files left', async () => {
    const corrupted = Buffer.from(await texturedGridGlb({ cells: 8, textureSize: 64 }));
    corrupted.writeUInt32LE(16, 20 + corrupted.readUInt32LE(12)); // BIN chunk too short for its buffer
    engineOutput = corrupted;
    const { id, record } = await runTask();
    assert.equal(record.status, 'failed');
    assert.equal(record.http_status, 500);
    assert.equal(record.error, 'Internal error');
    // The job removes a failed task's files just after publishing the failure.
    await waitFor('neither model nor temporary file left', async () =>
      (await readdir(dir.path)).some((name) => name.includes(id)) ? undefined : true,
    );
  });

  void it('a valid GLB the optimiser cannot handle completes with the source bytes as {uuid}.glb', async () => {
    engineOutput = await texturedGridGlb({ cells: 4, textureSize: 0, textureBytes: pixelBombPng() });
    const { id, record } = await runTask();
    assert.equal(record.status, 'completed', JSON.stringify(record));
    assert.deepEqual(new Uint8Array(await readFile(join(dir.path, `${id}.glb`))), engineOutput);
    assert.deepEqual((await readdir(dir.path)).filter((name) => name.includes(id)).sort(), [
      `${id}.glb`,
      `${id}.source.glb`,
    ]);
  });
});
