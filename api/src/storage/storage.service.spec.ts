import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  type GlbOptimisationStats,
  GlbOptimisationError,
  GlbOptimizer,
  InvalidSourceModelError,
} from '../glb/glb-optimizer';
import { LocalModelStore } from './local-model-store';
import { StorageService } from './storage.service';

/** Test double: writes "web:" + the source and "lod", or fails the way it is told to; records its calls. */
class FakeOptimizer extends GlbOptimizer {
  failure: Error | undefined;
  readonly calls: { sourcePath: string; targetPath: string; lodPath?: string }[] = [];

  async optimise(sourcePath: string, targetPath: string, lodPath?: string): Promise<GlbOptimisationStats> {
    this.calls.push({ sourcePath, targetPath, lodPath });
    const source = await readFile(sourcePath);
    // Half-written output first, as a real failure may leave it.
    await writeFile(targetPath, 'partial');
    if (lodPath !== undefined) await writeFile(lodPath, 'partial');
    if (this.failure) throw this.failure;
    await writeFile(targetPath, Buffer.concat([Buffer.from('web:'), source]));
    if (lodPath !== undefined) await writeFile(lodPath, 'lod');
    return {
      sourceBytes: source.length,
      webBytes: source.length + 4,
      lodBytes: lodPath !== undefined ? 3 : 0,
      textures: 0,
      seconds: 0.01,
      notes: [],
    };
  }
}

void describe('StorageService (real folder, fake optimiser)', () => {
  let dir: string;
  let storage: StorageService;
  const optimizer = new FakeOptimizer();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln3d-storage-'));
    storage = new StorageService(new LocalModelStore(dir), optimizer);
    await storage.onModuleInit();
  });
  beforeEach(async () => {
    optimizer.failure = undefined;
    optimizer.calls.length = 0;
    for (const name of await readdir(dir)) await rm(join(dir, name), { force: true });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  void it("publishes {uuid}.glb and {uuid}.lod.glb from the optimiser's output via hidden temporary names", async () => {
    const id = randomUUID();
    await writeFile(storage.sourcePath(id), 'glTF-bytes');
    assert.deepEqual(await storage.publishWebModel(id), { lod: true });
    assert.deepEqual((await readdir(dir)).sort(), [`${id}.glb`, `${id}.lod.glb`, `${id}.source.glb`]);
    assert.equal((await readFile(storage.webPath(id))).toString(), 'web:glTF-bytes');
    assert.equal((await readFile(storage.lodPath(id))).toString(), 'lod');
    assert.match(optimizer.calls[0].lodPath ?? '', /\/\.[0-9a-f-]{36}\.[0-9a-f]{8}\.partial$/);
    assert.equal((await readFile(storage.sourcePath(id))).toString(), 'glTF-bytes', 'source untouched');
    assert.equal(optimizer.calls[0].sourcePath, storage.sourcePath(id));
    const temporary = optimizer.calls[0].targetPath;
    assert.equal(join(temporary, '..'), dir);
    assert.match(temporary, /\/\.[0-9a-f-]{36}\.[0-9a-f]{8}\.partial$/, 'neither servable nor *.glb');
  });

  void it('an optimisation failure publishes the source bytes unchanged (fallback)', async () => {
    const id = randomUUID();
    await writeFile(storage.sourcePath(id), 'glTF-bytes');
    optimizer.failure = new GlbOptimisationError('Input image exceeds pixel limit');
    assert.deepEqual(await storage.publishWebModel(id), { lod: false }, 'no LOD then');
    assert.deepEqual((await readdir(dir)).sort(), [`${id}.glb`, `${id}.source.glb`]);
    assert.equal((await readFile(storage.webPath(id))).toString(), 'glTF-bytes');
  });

  for (const [what, failure] of [
    ['a source glTF-Validator rejects', new InvalidSourceModelError(2, ['a', 'b'])],
    ['a failure before validation ended', new Error('GLB validation did not finish: worker exited')],
  ] as const) {
    void it(`${what} rejects and leaves no web model or temporary file`, async () => {
      const id = randomUUID();
      await writeFile(storage.sourcePath(id), 'glTF-bytes');
      optimizer.failure = failure;
      await assert.rejects(storage.publishWebModel(id), (error) => error === failure);
      assert.deepEqual(await readdir(dir), [`${id}.source.glb`]);
    });
  }

  void it("removes a task's models and the temporary files left behind, nothing else", async () => {
    const id = randomUUID();
    const other = randomUUID();
    const names = [
      `${id}.glb`,
      `${id}.lod.glb`,
      `${id}.source.glb`,
      `.${id}.0badc0de.partial`,
      `.${id}.5eed5eed.partial`,
      `${other}.glb`,
      `${other}.lod.glb`,
      `.${other}.0badc0de.partial`,
      `${other}.source.glb`,
    ];
    await Promise.all(names.map((name) => writeFile(join(dir, name), 'x')));
    await storage.removeModels(id);
    const left = await readdir(dir);
    for (const name of names.slice(0, 5)) assert.equal(left.includes(name), false, name);
    for (const name of names.slice(5)) assert.equal(left.includes(name), true, name);
  });
});
