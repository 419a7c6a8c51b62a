import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/app-config';
import { StorageService } from './storage.service';

void describe('StorageService (real folder)', () => {
  let dir: string;
  let storage: StorageService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln3d-storage-'));
    storage = new StorageService(loadConfig({ STATIC_DIR: dir }));
    await storage.onModuleInit();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  void it('publishes {uuid}.glb from the source whole, leaving no temporary file', async () => {
    const id = randomUUID();
    await writeFile(storage.sourcePath(id), 'glTF-bytes');
    await storage.publishWebModel(id);
    assert.deepEqual((await readdir(dir)).sort(), [`${id}.glb`, `${id}.source.glb`]);
  });

  void it("removes a task's models and the temporary file a killed sidecar left, nothing else", async () => {
    const id = randomUUID();
    const other = randomUUID();
    const names = [
      `${id}.glb`,
      `${id}.source.glb`,
      `.${id}.source.glb.4242.deadbeef.tmp`,
      `${other}.glb`,
      `.${other}.source.glb.4242.deadbeef.tmp`,
    ];
    await Promise.all(names.map((name) => writeFile(join(dir, name), 'x')));
    await storage.removeModels(id);
    const left = await readdir(dir);
    for (const name of names.slice(0, 3)) assert.equal(left.includes(name), false, name);
    for (const name of names.slice(3)) assert.equal(left.includes(name), true, name);
  });
});
