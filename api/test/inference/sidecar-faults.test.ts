/**
 * Medium test: fault paths of the REAL sidecar (KILN_SIMULATE_FAULT, KILN_RECYCLE_AFTER_JOBS):
 * a job that ignores cancellation gets the sidecar killed and replaced; OOM and INTERNAL map to
 * their codes; exit 75 restarts at once.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, afterEach, describe, test } from 'node:test';
import { InferenceError, InferenceErrorCode } from '../../src/inference/inference.repository';
import {
  FAST_SIDECAR_OPTIONS,
  InferenceTestApp,
  isAlive,
  makeJob,
  removeDir,
  startInferenceApp,
  tempDir,
  testConfig,
  until,
} from './support';

const outDir = tempDir('kiln3d-inference-faults-');
const savedEnv = { ...process.env };
let harness: InferenceTestApp | null = null;

function setSidecarEnv(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

afterEach(async () => {
  await harness?.close();
  harness = null;
  process.env = { ...savedEnv };
});
after(() => removeDir(outDir));

function rejectsWith(code: InferenceErrorCode, pattern?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof InferenceError, `not an InferenceError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

void describe('sidecar faults (real Python, simulate engine)', { timeout: 120_000 }, () => {
  void test('a job that ignores cancellation: TIMEOUT at the limit, then the sidecar is killed and replaced', async () => {
    setSidecarEnv({ KILN_SIMULATE_FAULT: 'hang' });
    harness = await startInferenceApp(testConfig({ SIMULATE_SECONDS: '1' }));
    await harness.repository.waitUntilReady(60_000);
    const hungPid = (await harness.repository.health()).pid;
    // The replacement must not hang too: the environment is read again at each spawn.
    setSidecarEnv({ KILN_SIMULATE_FAULT: 'none' });
    const started = Date.now();
    await assert.rejects(
      harness.repository.generate(await makeJob(outDir, { timeoutS: 2 }), () => undefined),
      rejectsWith('TIMEOUT'),
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1_900 && elapsed < 5_000, `TIMEOUT after ${elapsed} ms, not when the sidecar gave up`);
    assert.equal((await harness.repository.health()).pid, hungPid, 'given its grace first');
    const health = await until('a fresh sidecar', async () => {
      const h = await harness!.repository.health();
      return h.pid !== hungPid && h.state === 'ready' ? h : null;
    });
    assert.ok(!isAlive(hungPid), 'the hung sidecar was killed');
    assert.equal(health.restarts, 1);
    assert.ok(
      harness.logger
        .messages('InferenceSupervisor')
        .some((m) => /did not stop its job within 1500 ms after job .* passed its 2 s limit/.test(m)),
    );
    const nextJob = await makeJob(outDir);
    await harness.repository.generate(nextJob, () => undefined);
    assert.ok(existsSync(nextJob.modelPath), 'the next job succeeds');
  });

  void test('out of memory after the retry is OOM; an engine failure is INTERNAL', async () => {
    setSidecarEnv({ KILN_SIMULATE_FAULT: 'oom' });
    harness = await startInferenceApp(testConfig({ SIMULATE_SECONDS: '0.5' }));
    await harness.repository.waitUntilReady(60_000);
    await assert.rejects(
      harness.repository.generate(await makeJob(outDir), () => undefined),
      rejectsWith('OOM', /out of memory/i),
    );
    const firstPid = (await harness.repository.health()).pid;
    setSidecarEnv({ KILN_SIMULATE_FAULT: 'internal' });
    await harness.repository.restart({ force: false });
    await until('the restarted sidecar', async () => {
      const h = await harness!.repository.health();
      return h.pid !== firstPid && h.state === 'ready';
    });
    await assert.rejects(
      harness.repository.generate(await makeJob(outDir), () => undefined),
      rejectsWith('INTERNAL', /simulated internal fault/),
    );
  });

  void test('exit 75 (planned recycle) restarts at once, without the crash backoff', async () => {
    setSidecarEnv({ KILN_RECYCLE_AFTER_JOBS: '1' });
    // A crash would wait 10 s here; a recycle must not.
    harness = await startInferenceApp(testConfig({ SIMULATE_SECONDS: '0.3' }), {
      ...FAST_SIDECAR_OPTIONS,
      backoffInitialMs: 10_000,
    });
    await harness.repository.waitUntilReady(60_000);
    const firstPid = (await harness.repository.health()).pid;
    await harness.repository.generate(await makeJob(outDir), () => undefined);
    const recycledAt = Date.now();
    const health = await until(
      'the recycled sidecar',
      async () => {
        const h = await harness!.repository.health();
        return h.pid !== firstPid && h.state === 'ready' ? h : null;
      },
      9_000,
    );
    assert.ok(Date.now() - recycledAt < 9_000);
    assert.equal(health.restarts, 1);
    assert.ok(!isAlive(firstPid));
    assert.ok(harness.logger.messages('InferenceSupervisor').some((m) => m.includes('asked to be recycled (exit 75)')));
    const nextJob = await makeJob(outDir);
    await harness.repository.generate(nextJob, () => undefined);
    assert.ok(existsSync(nextJob.modelPath));
  });
});
