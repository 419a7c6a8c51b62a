import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { CleanupService } from '../../src/cleanup/cleanup.service';
import { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { FormatsModule } from '../../src/formats/formats.module';
import { FormatBuildsService } from '../../src/formats/format-builds.service';
import { PythonFormatConverter } from '../../src/formats/format-converter';
import { WorkerGlbOptimizer } from '../../src/glb/glb-optimizer';
import { RedisModule } from '../../src/redis/redis.module';
import { RedisService } from '../../src/redis/redis.service';
import { ModelStoreUnavailableError } from '../../src/storage/model-store';
import { S3ModelStore, createS3Client } from '../../src/storage/s3-model-store';
import { StorageService } from '../../src/storage/storage.service';
import { StoreDiskSpace } from '../../src/storage/store-disk-space';
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { TasksModule } from '../../src/tasks/tasks.module';
import { GLB_DIR, REPO_ROOT, TEST_REDIS_URL, clearKilnKeys, tempDir } from '../support/env';
import { type MotoServer, startMoto } from '../support/moto';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

class ShiftedClock extends Clock {
  constructor(private readonly offsetMs: number) {
    super();
  }
  override now(): number {
    return Date.now() + this.offsetMs;
  }
}

/**
 * S3ModelStore against a real S3-protocol server (moto_server), reached only through the SDK's
 * standard variables (AWS_ENDPOINT_URL_S3, keys, region), as R2 would be.
 */
void describe('models in an S3-compatible bucket (moto_server)', () => {
  let moto: MotoServer;
  const scratch = tempDir('s3-store');
  const bucket = `kiln-${randomUUID().slice(0, 8)}`;
  let store: S3ModelStore;

  before(async () => {
    moto = await startMoto();
    Object.assign(process.env, moto.env());
    await moto.createBucket(bucket);
    store = new S3ModelStore({ bucket, prefix: 'models/', publicUrl: undefined }, scratch.path);
  });
  after(async () => {
    await moto?.stop();
    scratch.remove();
  });

  void it('checks the bucket at start: a missing one stops it with a message naming the bucket', async () => {
    await store.check();
    const missing = new S3ModelStore(
      { bucket: 'no-such-bucket', prefix: '', publicUrl: undefined },
      scratch.path,
    );
    await assert.rejects(
      missing.check(),
      (error: unknown) =>
        error instanceof ModelStoreUnavailableError &&
        /bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/.test(error.message),
    );
  });

  void it('refuses bad credentials at start with a message naming the variables', async () => {
    const guarded = await startMoto({ auth: true });
    try {
      const saved = process.env.AWS_ENDPOINT_URL_S3;
      process.env.AWS_ENDPOINT_URL_S3 = guarded.endpoint;
      try {
        const denied = new S3ModelStore(
          { bucket, prefix: '', publicUrl: undefined },
          scratch.path,
          createS3Client(),
        );
        await assert.rejects(
          denied.check(),
          (error: unknown) =>
            error instanceof ModelStoreUnavailableError &&
            error.message.includes('check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'),
        );
      } finally {
        process.env.AWS_ENDPOINT_URL_S3 = saved;
      }
    } finally {
      await guarded.stop();
    }
  });

  void it('publishes a real model (source + web + LOD) whole, then serves ranges, lists and removes it', async () => {
    const storage = new StorageService(store, new WorkerGlbOptimizer());
    await storage.onModuleInit();
    const id = randomUUID();
    const source = await readFile(join(GLB_DIR, 'generic-trigger-left.glb'));
    await writeFile(storage.sourcePath(id), source);
    // The GPU job publishes the source and keeps its local copy: its own web-model step reads that,
    // with no download of what it just uploaded, then removes it.
    const reads: string[] = [];
    const read = store.read.bind(store);
    store.read = (name, range) => {
      reads.push(name);
      return read(name, range);
    };
    await storage.publishSource(id);
    assert.deepEqual(await readdir(store.workDir), [`${id}.source.glb`], 'kept for this process');
    await storage.publishWebModel(id);
    assert.deepEqual(reads, [], 'the web model was made from the local copy');
    assert.deepEqual(await readdir(store.workDir), [], 'local copies removed once uploaded');
    // Another worker (no local copy) fetches the source from the bucket.
    await store.remove([`${id}.glb`, `${id}.lod.glb`]);
    assert.deepEqual(await storage.publishWebModel(id), { lod: true });
    assert.deepEqual(reads, [`${id}.source.glb`]);
    assert.deepEqual(await readdir(store.workDir), []);

    const sourceInfo = await store.stat(`${id}.source.glb`);
    const webInfo = await store.stat(`${id}.glb`);
    assert.equal(sourceInfo?.size, source.length);
    assert.ok(webInfo && webInfo.size > 0 && webInfo.size < source.length, 'web model is the optimised one');
    const lodInfo = await store.stat(`${id}.lod.glb`);
    assert.ok(
      lodInfo && lodInfo.size > 0 && lodInfo.size < webInfo.size,
      'the LOD is in the bucket, smaller',
    );
    assert.match(sourceInfo?.etag ?? '', /^"[0-9a-f]{32}"$/);
    assert.deepEqual(await bytesOf(await store.read(`${id}.source.glb`)), source);
    const slice = await bytesOf(await store.read(`${id}.source.glb`, { start: 4, end: 11 }));
    assert.deepEqual(slice, source.subarray(4, 12));
    assert.equal(await store.stat(`${randomUUID()}.glb`), undefined);

    const listed: string[] = [];
    for await (const entry of store.list()) listed.push(entry.name);
    assert.deepEqual(listed.sort(), [`${id}.glb`, `${id}.lod.glb`, `${id}.source.glb`].sort());

    await storage.removeModels(id);
    assert.equal(await store.stat(`${id}.glb`), undefined);
    assert.equal(await store.stat(`${id}.lod.glb`), undefined, 'the LOD goes with its model');
    assert.equal(await store.stat(`${id}.source.glb`), undefined);
  });

  void it('cleanup deletes objects past RETENTION_HOURS and keeps younger ones, formats and tasks with their model', async () => {
    // The task domain on the test Redis (no worker runs): the owner the cleanup asks to forget
    // the tasks of the models it deleted (TaskLifecycle.forgetModels).
    const config = loadConfig(
      { REDIS_URL: TEST_REDIS_URL, STATIC_DIR: join(scratch.path, 'static'), RETENTION_HOURS: '48' },
      scratch.path,
    );
    await mkdir(config.staticDir, { recursive: true });
    await clearKilnKeys();
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), RedisModule, TasksModule, FormatsModule],
    }).compile();
    await moduleRef.init();
    try {
      const tasks = moduleRef.get(TaskStore);
      const id = randomUUID();
      const taskId = randomUUID();
      const now = new Date().toISOString();
      await tasks.createFinished(
        {
          task_id: taskId,
          status: 'completed',
          created_at: now,
          updated_at: now,
          model_id: id,
          model_path: `/static/${id}.glb`,
          download_path: `/static/${id}.source.glb`,
        },
        'c'.repeat(64),
      );
      // A model's files in other formats (formats/format-builds.service.ts publishes them like the GLBs).
      const formats = [`${id}.100mm.stl`, `${id}.obj.zip`, `${id}.usdz`];
      for (const name of [`${id}.glb`, `${id}.lod.glb`, `${id}.source.glb`, ...formats]) {
        const local = join(store.workDir, name);
        await writeFile(local, 'glTF');
        await store.publish(local, name);
      }
      const cleanup = (offsetH: number): CleanupService =>
        new CleanupService(
          config,
          store,
          new ShiftedClock(offsetH * 3600 * 1000),
          {} as SchedulerRegistry,
          moduleRef.get(TaskLifecycle),
          moduleRef.get(FormatBuildsService),
        );
      assert.deepEqual(await cleanup(47).runOnce(), []);
      assert.equal((await tasks.get(taskId))?.record.status, 'completed');
      const swept = await cleanup(49).sweep();
      assert.deepEqual(
        swept.names.sort(),
        [`${id}.glb`, `${id}.lod.glb`, `${id}.source.glb`, ...formats].sort(),
      );
      for (const name of [`${id}.glb`, `${id}.lod.glb`, ...formats])
        assert.equal(await store.stat(name), undefined, name);
      // Its task went with it, as one whose TTL ran out (404 task_not_found).
      assert.equal(swept.tasks, 1);
      assert.equal(await tasks.get(taskId), undefined);
    } finally {
      await moduleRef.close();
      await clearKilnKeys();
    }
  });

  void it('makes a format from a source only the bucket holds (another machine made the model), into the bucket', async () => {
    // The model was made and published by another worker: this process has no local copy.
    const id = randomUUID();
    const source = join(store.workDir, `${id}.source.glb`);
    await writeFile(source, await readFile(join(GLB_DIR, 'valve-index-left-jpeg.glb')));
    await store.publish(source, `${id}.source.glb`);
    assert.deepEqual(await readdir(store.workDir), []);

    const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, FORMAT_WAIT_S: '90' });
    const redis = new RedisService(config);
    try {
      await clearKilnKeys();
      const builds = new FormatBuildsService(
        config,
        redis,
        store,
        new StorageService(store, new WorkerGlbOptimizer()),
        new PythonFormatConverter(join(REPO_ROOT, 'inference'), 120_000),
        new Clock(),
        new StoreDiskSpace(config, new Clock()),
      );
      const outcome = await builds.obtain(id, { format: 'stl', sizeMm: 100 }, 'test-client');
      assert.equal(outcome.kind, 'ready');
      // In the bucket, whole: a binary STL of the model's triangles.
      const stl = await bytesOf(await store.read(`${id}.100mm.stl`));
      assert.equal(outcome.kind === 'ready' && outcome.file.triangles, stl.readUInt32LE(80));
      assert.equal(stl.length, 84 + 50 * stl.readUInt32LE(80));
      // The fetched source and the file being made were scratch: nothing stays in the work folder.
      assert.deepEqual(await readdir(store.workDir), []);
    } finally {
      await clearKilnKeys();
      await redis.onApplicationShutdown();
    }
  });

  void it('names the public bucket URL when STORAGE_PUBLIC_URL is set', () => {
    const exposed = new S3ModelStore(
      { bucket, prefix: 'glb/v1/', publicUrl: 'https://models.example.com' },
      scratch.path,
    );
    const id = randomUUID();
    assert.equal(exposed.publicUrl(`${id}.glb`), `https://models.example.com/glb/v1/${id}.glb`);
    assert.equal(
      new StorageService(exposed, new WorkerGlbOptimizer()).modelPath(`${id}.glb`),
      exposed.publicUrl(`${id}.glb`),
    );
  });
});
