/**
 * Medium test: the trellis2 engine's GLB export stalling inside a native call (reported upstream:
 * to_glb can hang in CuMesh/nvdiffrast and never returns to Python, so no cancellation reaches it).
 * A REAL sidecar runs the trellis2 engine on the fake TRELLIS.2 (inference/tests/fake_trellis2,
 * on PYTHONPATH) whose to_glb sleeps for good from its second call on (the warm-up makes the
 * first). The job's limit still holds: TIMEOUT (504 at the HTTP contract), the sidecar is killed
 * and a fresh one serves the next job.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { InferenceError } from '../../src/inference/inference.repository';
import { mapInferenceError } from '../../src/tasks/run/inference-error-mapping';
import {
  InferenceTestApp,
  ROOT,
  isAlive,
  makeJob,
  removeDir,
  startInferenceApp,
  tempDir,
  testConfig,
  until,
} from './support';

const FAKE = join(ROOT, 'inference', 'tests', 'fake_trellis2');
const STALL_ENV = 'KILN_FAKE_TRELLIS2_STALL_EXPORT_FROM_CALL';
const outDir = tempDir('kiln3d-trellis2-stall-');
const modelsDir = tempDir('kiln3d-trellis2-models-');
const cacheDir = tempDir('kiln3d-trellis2-cache-');
const savedEnv = { ...process.env };
let harness: InferenceTestApp | null = null;

afterEach(async () => {
  await harness?.close();
  harness = null;
  process.env = { ...savedEnv };
});
after(() => {
  for (const dir of [outDir, modelsDir, cacheDir]) removeDir(dir);
});

void describe('trellis2 export stall (real sidecar, fake TRELLIS.2)', { timeout: 120_000 }, () => {
  void test('a to_glb that never returns: TIMEOUT (504) at the limit, then a fresh sidecar', async () => {
    const python = join(ROOT, 'inference', '.venv', 'bin', 'python');
    execFileSync(python, ['-m', 'trellis2.fake_control', modelsDir], { env: { ...process.env, PYTHONPATH: FAKE } });
    process.env.PYTHONPATH = [FAKE, join(FAKE, 'torch_stub')].join(':');
    process.env.KILN_CACHE_DIR = cacheDir;
    process.env[STALL_ENV] = '2';
    harness = await startInferenceApp(testConfig({ INFERENCE_ENGINE: 'trellis2', MODELS_DIR: modelsDir }));
    await harness.repository.waitUntilReady(60_000);
    const stalledPid = (await harness.repository.health()).pid;
    // The replacement reads its environment again at spawn: it must not stall.
    delete process.env[STALL_ENV];

    let failure: unknown = null;
    await harness.repository
      .generate(await makeJob(outDir, { timeoutS: 2 }), () => undefined)
      .then(
        () => assert.fail('a stalled export finished'),
        (error: unknown) => {
          failure = error;
        },
      );
    assert.ok(failure instanceof InferenceError, String(failure));
    assert.equal(failure.code, 'TIMEOUT', failure.message);
    assert.equal(mapInferenceError(failure).httpStatus, 504);

    const health = await until('a fresh sidecar', async () => {
      const h = await harness!.repository.health();
      return h.pid !== stalledPid && h.state === 'ready' ? h : null;
    });
    assert.ok(!isAlive(stalledPid), 'the stalled sidecar was killed');
    assert.equal(health.restarts, 1);
    assert.match(health.engine, /trellis2/);
    const nextJob = await makeJob(outDir);
    await harness.repository.generate(nextJob, () => undefined);
    assert.ok(existsSync(nextJob.modelPath), 'the next job succeeds on the fresh sidecar');
  });
});
