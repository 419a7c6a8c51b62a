import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getQueueToken } from '@nestjs/bull';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Queue } from 'bull';
import { CleanupModule } from '../../src/cleanup/cleanup.module';
import { CleanupService } from '../../src/cleanup/cleanup.service';
import { ApiError } from '../../src/common/api-error';
import { type AppConfig, loadConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { FormatsModule } from '../../src/formats/formats.module';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisModule } from '../../src/redis/redis.module';
import { RedisService } from '../../src/redis/redis.service';
import { lodModelName, sourceModelName, webModelName } from '../../src/storage/model-names';
import { StorageService } from '../../src/storage/storage.service';
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { RepeatRegistry } from '../../src/tasks/repeats/repeat-registry';
import { PreviewStore } from '../../src/tasks/state/preview-store.service';
import { type TaskRecord, modelIdOf } from '../../src/tasks/state/task-snapshot';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { TasksModule } from '../../src/tasks/tasks.module';
import { TEST_REDIS_URL, clearKilnKeys, tempDir } from '../support/env';

const HOUR_MS = 3600 * 1000;
/** A task token's hash (lifecycle/task-token.ts): never presented here. */
const HASH = 'b'.repeat(64);

/**
 * The operator's trial: tasks completed while RETENTION_HOURS was 48, then the api restarted with
 * RETENTION_HOURS 1. Their records kept the TTL of the old setting (48 h) while the cleanup deletes
 * their files: they must go with the files (404 task_not_found, as a record whose TTL ran out), and
 * so must their voxel previews, the instant-repeat keys naming them and the models' records of
 * formats. Real Redis, real Bull (no worker runs), a real model folder with forged times; the
 * second process is a second module on the same Redis and folder, as a restart or another api
 * process would be.
 */
void describe('the cleanup forgets the tasks of the models it deletes (real Redis, real folder)', () => {
  const dir = tempDir('cleanup-tasks');
  const staticDir = join(dir.path, 'static');
  const configOf = (retentionHours: string): AppConfig =>
    loadConfig(
      { REDIS_URL: TEST_REDIS_URL, STATIC_DIR: staticDir, RETENTION_HOURS: retentionHours },
      dir.path,
    );
  const modules: TestingModule[] = [];

  /** One api process's cleanup with the task domain and formats behind it (its cron never fires here). */
  async function boot(retentionHours: string): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      // As AppModule imports them.
      imports: [
        ConfigModule.forRoot(configOf(retentionHours)),
        RedisModule,
        TasksModule,
        FormatsModule,
        CleanupModule,
      ],
    }).compile();
    await moduleRef.init();
    modules.push(moduleRef);
    return moduleRef;
  }

  before(async () => {
    mkdirSync(staticDir, { recursive: true });
    await clearKilnKeys();
  });
  after(async () => {
    for (const moduleRef of modules) await moduleRef.close();
    await clearKilnKeys();
    dir.remove();
  });

  /** Writes a model's file in the folder, last modified `ageH` hours ago. */
  function forge(name: string, ageH: number): void {
    const path = join(staticDir, name);
    writeFileSync(path, 'glTF');
    const at = new Date(Date.now() - ageH * HOUR_MS);
    utimesSync(path, at, at);
  }

  /**
   * A task made and completed as the runner does it (its slot, its repeat keys, a voxel preview),
   * with its model's three GLBs in the folder `ageH` hours old. Returns its record.
   */
  async function completedTask(moduleRef: TestingModule, keys: string[], ageH: number): Promise<TaskRecord> {
    const lifecycle = moduleRef.get(TaskLifecycle);
    const storage = moduleRef.get(StorageService);
    const id = await lifecycle.admit('client-a');
    await lifecycle.create(id, Buffer.from('png'), undefined, keys);
    // No worker runs here: its job leaves Bull as a worker's would.
    await (await moduleRef.get<Queue>(getQueueToken(GENERATION_QUEUE)).getJob(id))?.remove();
    assert.ok((await lifecycle.apply(id, { type: 'start' })).applied);
    await moduleRef.get(PreviewStore).save(id, {
      coords: Buffer.from([1, 2, 3]),
      stage: 'structure',
      resolution: 64,
      count: 1,
    });
    const modelId = modelIdOf((await moduleRef.get(TaskStore).require(id)).record);
    const complete = await lifecycle.apply(id, {
      type: 'complete',
      modelPath: storage.modelPath(webModelName(modelId)),
      downloadPath: storage.modelPath(sourceModelName(modelId)),
      lodPath: storage.modelPath(lodModelName(modelId)),
      generationTime: 30,
      engine: 'simulate',
      triangles: 1000,
      ignoredOptions: [],
    });
    assert.ok(complete.applied);
    for (const name of [webModelName(modelId), sourceModelName(modelId), lodModelName(modelId)]) {
      forge(name, ageH);
    }
    return (await moduleRef.get(TaskStore).require(id)).record;
  }

  void it('deletes a completed task with its model (and what names it), leaves the others', async () => {
    // Process A, RETENTION_HOURS 48: completes tasks whose records are kept 48 h.
    const a = await boot('48');
    const lifecycleA = a.get(TaskLifecycle);
    const storeA = a.get(TaskStore);
    const old = await completedTask(a, ['old-key', 'old-upload-key'], 3);
    const oldModel = modelIdOf(old);
    // An instant repeat answered from the old model: a task of its own naming the same files,
    // its request key now naming it (task-intake.service.ts reuse, then hold).
    const repeatId = await lifecycleA.admit('client-b');
    await lifecycleA.reuse({
      ...old,
      status: 'completed',
      task_id: repeatId,
      reused: true,
      reused_from: old.task_id,
    });
    await a.get(RepeatRegistry).hold('old-key', repeatId);
    // A task stored before model ids: its files are named by its task id.
    const legacyId = '5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
    await storeA.createFinished(
      {
        task_id: legacyId,
        status: 'completed',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        model_path: `/static/${legacyId}.glb`,
        download_path: `/static/${legacyId}.source.glb`,
      },
      HASH,
    );
    forge(`${legacyId}.glb`, 3);
    forge(`${legacyId}.source.glb`, 3);
    // The old model's STL, made an hour ago, and its record of formats.
    forge(`${oldModel}.100mm.stl`, 0.5);
    const formats = RedisKeys.modelFormats(oldModel);
    const redis = a.get(RedisService).client;
    await redis.hset(formats, 'stl@100', JSON.stringify({ state: 'ready', at: Date.now(), file: {} }));
    await redis.pexpire(formats, 48 * HOUR_MS);
    // As if it were a painted model: its own size, kept by its model id (TaskStore.create).
    const ownSize = RedisKeys.modelOwnSize(oldModel);
    await redis.set(ownSize, JSON.stringify({ units: 'mm', extent: [20, 40, 15] }), 'EX', 96 * 3600);
    // A model made a quarter of an hour ago, and a task still waiting.
    const young = await completedTask(a, ['young-key'], 0.25);
    const waitingId = await lifecycleA.admit('client-c');
    await lifecycleA.create(waitingId, Buffer.from('png'));
    await a.close();
    modules.splice(modules.indexOf(a), 1);

    // Process B, restarted with RETENTION_HOURS 1.
    const b = await boot('1');
    const tasks = b.get(TaskStore);
    const previews = b.get(PreviewStore);
    const repeats = b.get(RepeatRegistry);
    const redisB = b.get(RedisService).client;
    // The defect's start: the old task reads completed, and its record outlives RETENTION_HOURS.
    assert.equal((await tasks.get(old.task_id))?.record.status, 'completed');
    assert.ok((await redisB.ttl(RedisKeys.task(old.task_id))) > 3600);

    const outcome = await b.get(CleanupService).sweep();
    assert.equal(outcome.deleted, 6, outcome.names.join(', '));
    // Left: the young model, and the folder's marker (the store's identity: scale-out).
    assert.deepEqual(
      readdirSync(staticDir)
        .filter((name) => !name.startsWith('.'))
        .sort(),
      [webModelName, lodModelName, sourceModelName].map((name) => name(modelIdOf(young))).sort(),
    );

    // The tasks naming a deleted model read as a task whose TTL ran out: 404 task_not_found.
    for (const id of [old.task_id, repeatId, legacyId]) {
      assert.equal(await tasks.get(id), undefined, id);
      await assert.rejects(
        tasks.require(id),
        (error: unknown) =>
          error instanceof ApiError && error.code === 'task_not_found' && error.status === 404,
      );
    }
    assert.equal(outcome.tasks, 3);
    assert.equal(await previews.get(old.task_id), undefined, 'its voxel preview goes with it');
    assert.equal(await repeats.holderOf('old-key'), null, 'a repeat key naming the repeat');
    assert.equal(await repeats.holderOf('old-upload-key'), null, 'a repeat key naming the maker');
    assert.equal(await redisB.exists(formats), 0, 'the record of formats of the deleted model');
    assert.equal(await redisB.exists(ownSize), 0, 'its own size');

    // The young model's task, its preview and key, and the waiting task are untouched.
    assert.equal((await tasks.get(young.task_id))?.record.status, 'completed');
    assert.ok(await previews.get(young.task_id));
    assert.equal(await repeats.holderOf('young-key'), young.task_id);
    assert.equal((await tasks.get(waitingId))?.record.status, 'queued');

    // A second pass (or another process's, at the same time) finds nothing more to do.
    const again = await b.get(CleanupService).sweep();
    assert.deepEqual([again.deleted, again.tasks], [0, 0]);
  });
});
