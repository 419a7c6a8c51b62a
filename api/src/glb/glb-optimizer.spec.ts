import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pixelBombPng, summariseGlb, texturedGridGlb } from '../../test/support/glb-models';
import {
  DEFAULT_WORKER_SETTINGS,
  GlbOptimisationError,
  InvalidSourceModelError,
  WorkerGlbOptimizer,
} from './glb-optimizer';

/** The real optimiser in its worker thread, on small GLBs made here (no services). */
void describe('WorkerGlbOptimizer', () => {
  let dir: string;
  const optimizer = new WorkerGlbOptimizer();
  const path = (name: string): string => join(dir, name);
  /** Neither of the two classes: the source's validity is unknown (the task fails). */
  const isPlainError = (error: unknown): error is Error =>
    error instanceof Error &&
    !(error instanceof GlbOptimisationError) &&
    !(error instanceof InvalidSourceModelError) &&
    /validation did not finish/.test(error.message);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln3d-optimizer-'));
  });
  after(async () => {
    await optimizer.onApplicationShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  void it('writes a smaller GLB with meshopt geometry and WebP textures, same drawing', async () => {
    const source = await texturedGridGlb({ cells: 120, textureSize: 512 });
    await writeFile(path('grid.source.glb'), source);
    const stats = await optimizer.optimise(path('grid.source.glb'), path('grid.out'));
    const web = new Uint8Array(await readFile(path('grid.out')));
    assert.equal(stats.sourceBytes, source.byteLength);
    assert.equal(stats.webBytes, web.byteLength);
    assert.equal(stats.textures, 1);
    assert.ok(stats.seconds > 0);
    assert.ok(web.byteLength < source.byteLength / 2, `${web.byteLength} vs ${source.byteLength}`);
    const before = await summariseGlb(source);
    const after = await summariseGlb(web);
    for (const extension of ['EXT_meshopt_compression', 'KHR_mesh_quantization', 'EXT_texture_webp']) {
      assert.ok(after.extensionsUsed.includes(extension), extension);
    }
    assert.equal(after.meshes, before.meshes);
    assert.equal(after.primitives, before.primitives);
    assert.equal(after.triangles, 2 * 120 * 120);
    for (let axis = 0; axis < 3; axis++) {
      assert.ok(
        Math.abs(after.min[axis] - before.min[axis]) < 1e-3,
        `min ${after.min.join()} vs ${before.min.join()}`,
      );
      assert.ok(
        Math.abs(after.max[axis] - before.max[axis]) < 1e-3,
        `max ${after.max.join()} vs ${before.max.join()}`,
      );
    }
    assert.deepEqual(after.textures, [
      { mimeType: 'image/webp', width: 512, height: 512, decodedFormat: 'webp' },
    ]);
  });

  void it('caps textures at 2048 px on the longest side', async () => {
    const source = await texturedGridGlb({ cells: 4, textureSize: 4096 });
    await writeFile(path('big-texture.source.glb'), source);
    await optimizer.optimise(path('big-texture.source.glb'), path('big-texture.out'));
    const after = await summariseGlb(new Uint8Array(await readFile(path('big-texture.out'))));
    assert.deepEqual(
      after.textures.map((t) => [t.decodedFormat, t.width, t.height]),
      [['webp', DEFAULT_WORKER_SETTINGS.maxTextureSize, DEFAULT_WORKER_SETTINGS.maxTextureSize]],
    );
  });

  void it('rejects a corrupted source (validated first) and writes nothing', async () => {
    const source = await texturedGridGlb({ cells: 8, textureSize: 64 });
    const corrupted = Buffer.from(source);
    // Break the BIN chunk's length: the JSON still parses, the buffers no longer fit.
    const jsonLength = corrupted.readUInt32LE(12);
    corrupted.writeUInt32LE(16, 20 + jsonLength);
    await writeFile(path('corrupt.source.glb'), corrupted);
    await assert.rejects(optimizer.optimise(path('corrupt.source.glb'), path('corrupt.out')), (error) => {
      assert.ok(error instanceof InvalidSourceModelError, String(error));
      assert.ok(error.errors > 0);
      assert.ok(error.firstErrors.length > 0);
      return true;
    });
    await writeFile(path('not-gltf.source.glb'), 'not a model at all');
    await assert.rejects(
      optimizer.optimise(path('not-gltf.source.glb'), path('not-gltf.out')),
      InvalidSourceModelError,
    );
    assert.equal(
      (await readdir(dir)).filter((n) => n.endsWith('.out')).length,
      2,
      'only the earlier outputs',
    );
  });

  void it('a valid source it cannot optimise is a GlbOptimisationError (the fallback case)', async () => {
    const source = await texturedGridGlb({ cells: 4, textureSize: 0, textureBytes: pixelBombPng() });
    await writeFile(path('bomb.source.glb'), source);
    await assert.rejects(
      optimizer.optimise(path('bomb.source.glb'), path('bomb.out')),
      (error) => error instanceof GlbOptimisationError && /pixel limit/.test(error.message),
    );
  });

  void it('a missing source or a limit hit before validation ends is neither of those', async () => {
    await assert.rejects(optimizer.optimise(path('missing.source.glb'), path('missing.out')), isPlainError);
    await writeFile(path('slow.source.glb'), await texturedGridGlb({ cells: 8, textureSize: 64 }));
    const hurried = new WorkerGlbOptimizer({ ...DEFAULT_WORKER_SETTINGS, timeoutMs: 1 });
    await assert.rejects(hurried.optimise(path('slow.source.glb'), path('slow.out')), isPlainError);
    await hurried.onApplicationShutdown();
  });

  void it('keeps its thread for the next model', async () => {
    await writeFile(path('a.source.glb'), await texturedGridGlb({ cells: 8, textureSize: 64 }));
    const first = await optimizer.optimise(path('a.source.glb'), path('a1.out'));
    const second = await optimizer.optimise(path('a.source.glb'), path('a2.out'));
    assert.equal(typeof first.thread, 'number');
    assert.equal(second.thread, first.thread, "the second model ran in the first one's thread");
  });

  void it('ends a thread that outlives the time limit; the next model gets a new one', async () => {
    // A source that never arrives: a FIFO nobody writes, so the thread's read waits for ever.
    const fifo = path('never.source.glb');
    execFileSync('mkfifo', [fifo]);
    const limited = new WorkerGlbOptimizer({ ...DEFAULT_WORKER_SETTINGS, timeoutMs: 10_000 });
    try {
      await assert.rejects(
        limited.optimise(fifo, path('never.out')),
        (error) =>
          isPlainError(error) && /validation did not finish: timed out after 10000 ms/.test(error.message),
      );
      // One thread at most: had the stuck one lived on, this model would wait behind it.
      await writeFile(path('b.source.glb'), await texturedGridGlb({ cells: 8, textureSize: 64 }));
      const next = await limited.optimise(path('b.source.glb'), path('b.out'));
      assert.ok(next.webBytes > 0);
    } finally {
      await limited.onApplicationShutdown();
      // Ends the read still blocked in libuv's pool (the thread is gone, its request is not).
      try {
        closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
      } catch {
        // No reader left: nothing is blocked.
      }
    }
  });
});
