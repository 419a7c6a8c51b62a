import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bundleIsStale } from '../support/api-process';
import { REPO_ROOT, tempDir } from '../support/env';

interface ApiBuild {
  API_BUNDLE: string;
  bundleApi(dir: string): Promise<{ bytes: number }>;
}

/** scripts/lib/api-build.mjs, the build's own module (an ES module: imported at run time). */
async function apiBuild(): Promise<ApiBuild> {
  return (await import(join(REPO_ROOT, 'scripts', 'lib', 'api-build.mjs'))) as ApiBuild;
}

/** Runs a bundle with node; its stdout parsed as JSON. */
function runBundle(path: string): Record<string, string> {
  const result = spawnSync(process.execPath, [path], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, string>;
}

void describe('scripts/lib/api-build.mjs: the bundle the api runs', () => {
  const work = tempDir('api-build');
  after(() => work.remove());

  // A compiled tree shaped like tsc's output: main.js, and a module one folder down that finds
  // files beside itself (as glb-optimizer.js finds its worker script).
  const compiled = join(work.path, 'dist');
  mkdirSync(join(compiled, 'glb'), { recursive: true });
  writeFileSync(
    join(compiled, 'main.js'),
    [
      "'use strict';",
      "const beside = require('./glb/beside.js');",
      'process.stdout.write(JSON.stringify({ main: __dirname, dir: beside.dir, file: beside.file, worker: beside.worker() }));',
      // Loaded only on use, from node_modules at run time (EXTERNAL): never called here.
      "exports.queue = () => require('bull');",
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(compiled, 'glb', 'beside.js'),
    [
      "'use strict';",
      'exports.dir = __dirname;',
      'exports.file = __filename;',
      "exports.worker = () => require('node:path').join(__dirname, 'glb-optimize.worker.js');",
      '',
    ].join('\n'),
  );

  void it("gives each module its own __dirname and __filename, also after the build's folder moved", async () => {
    const { API_BUNDLE, bundleApi } = await apiBuild();
    const { bytes } = await bundleApi(compiled);
    assert.ok(bytes > 0);
    const bundle = join(compiled, API_BUNDLE);
    assert.deepEqual(runBundle(bundle), {
      main: compiled,
      dir: join(compiled, 'glb'),
      file: join(compiled, 'glb', 'beside.js'),
      worker: join(compiled, 'glb', 'glb-optimize.worker.js'),
    });
    const moved = join(work.path, 'elsewhere');
    cpSync(compiled, moved, { recursive: true });
    assert.deepEqual(runBundle(join(moved, API_BUNDLE)), {
      main: moved,
      dir: join(moved, 'glb'),
      file: join(moved, 'glb', 'beside.js'),
      worker: join(moved, 'glb', 'glb-optimize.worker.js'),
    });
  });

  void it('bundles the compiled modules into one file and leaves the external packages to node_modules', async () => {
    const { API_BUNDLE } = await apiBuild();
    const alone = join(work.path, 'alone');
    mkdirSync(alone);
    cpSync(join(compiled, API_BUNDLE), join(alone, API_BUNDLE));
    // Without the compiled modules beside it, the bundle still runs: they are inside it.
    assert.equal(runBundle(join(alone, API_BUNDLE)).dir, join(alone, 'glb'));
    const text = readFileSync(join(alone, API_BUNDLE), 'utf8');
    assert.match(
      text,
      /require\("bull"\)/,
      'bull reads its Lua scripts from its own folder: it stays external',
    );
  });

  void it('is stale (api-process bundles it again) when missing or older than the main.js tsc wrote', async () => {
    const { API_BUNDLE } = await apiBuild();
    const dir = join(work.path, 'stamps');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.js'), '');
    assert.equal(bundleIsStale(dir), true, 'no bundle yet');
    writeFileSync(join(dir, API_BUNDLE), '');
    const now = Date.now() / 1000;
    utimesSync(join(dir, API_BUNDLE), now - 60, now - 60);
    utimesSync(join(dir, 'main.js'), now, now);
    assert.equal(bundleIsStale(dir), true, 'tsc compiled after the last bundle');
    utimesSync(join(dir, API_BUNDLE), now + 1, now + 1);
    assert.equal(bundleIsStale(dir), false);
  });
});
