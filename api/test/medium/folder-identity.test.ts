/**
 * Medium (real processes, a real folder): the model folder's identity (LocalModelStore.identity,
 * the marker every process on one Redis compares at start) is the same for processes that start
 * at once on a fresh folder. Before, one of them could read the marker between its creation and
 * its write, got an empty id, and refused to start ("another Kiln3D process ... keeps its models
 * in its own STATIC_DIR folder"): the security suite's two apis on one folder did, and so did 2
 * rounds of 15 of six processes here. Timing decides it: without the fix this test failed 1 run of 3.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FOLDER_MARKER, LocalModelStore } from '../../src/storage/local-model-store';
import { tempDir } from '../support/env';

const run = promisify(execFile);
const STORE_MODULE = join(__dirname, '..', '..', 'src', 'storage', 'local-model-store.js');
const PROCESSES = 8;
const ROUNDS = 15;

/** The identity one fresh node process reads of `folder`. */
async function identityIn(folder: string): Promise<string> {
  const script =
    `const { LocalModelStore } = require(${JSON.stringify(STORE_MODULE)});` +
    'new LocalModelStore(process.argv[1]).identity().then((id) => process.stdout.write(id));';
  return (await run(process.execPath, ['-e', script, folder])).stdout;
}

void describe('the model folder identity of processes starting at once', () => {
  const dir = tempDir('folder-identity');
  after(() => dir.remove());

  void it('waits for the id of a marker another process created but has not written yet', async () => {
    // What a filesystem without hard links leaves (the exclusive create, then the write).
    const folder = join(dir.path, 'being-written');
    mkdirSync(folder);
    writeFileSync(join(folder, FOLDER_MARKER), '');
    const read = new LocalModelStore(folder).identity();
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(join(folder, FOLDER_MARKER), '0b5c3a1e-2d4f-4a6b-8c9d-1e2f3a4b5c6d\n');
    assert.equal(await read, 'folder:0b5c3a1e-2d4f-4a6b-8c9d-1e2f3a4b5c6d');
  });

  void it(`${PROCESSES} processes on a fresh folder read one id, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const folder = join(dir.path, `round-${round}`);
      mkdirSync(folder);
      const ids = await Promise.all(Array.from({ length: PROCESSES }, () => identityIn(folder)));
      assert.equal(new Set(ids).size, 1, `round ${round}: ${ids.join(' ')}`);
      assert.match(ids[0], /^folder:[0-9a-f-]{36}$/);
      // The marker alone is left: no draft of it.
      assert.deepEqual(readdirSync(folder), [FOLDER_MARKER]);
    }
  });
});
