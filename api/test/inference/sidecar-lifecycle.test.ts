/**
 * Medium test: the supervisor and gRPC client against the REAL Python sidecar (simulate engine):
 * progress then done, cancel, timeout, SIGKILL mid-job, error mapping, log forwarding, shutdown.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InferenceError, InferenceProgress } from '../../src/inference/inference.repository';
import {
  InferenceTestApp,
  gltfErrors,
  isAlive,
  makeJob,
  removeDir,
  startInferenceApp,
  tempDir,
  testConfig,
  until,
} from './support';

const SIMULATE_SECONDS = 2;

void describe('managed sidecar (real Python, simulate engine)', { timeout: 120_000 }, () => {
  const outDir = tempDir('kiln3d-inference-out-');
  let harness: InferenceTestApp;
  let sidecarPid: number;

  before(async () => {
    harness = await startInferenceApp(testConfig({ SIMULATE_SECONDS: String(SIMULATE_SECONDS) }));
    await harness.repository.waitUntilReady(60_000);
  });

  after(async () => {
    await harness?.close();
    removeDir(outDir);
  });

  void test('health reports the ready simulate engine with its pid', async () => {
    const health = await harness.repository.health();
    assert.equal(health.state, 'ready');
    assert.equal(health.engine, 'simulate');
    assert.equal(health.device, 'cpu');
    assert.equal(health.managed, true);
    assert.equal(health.restarts, 0);
    assert.equal(health.jobsDone, 0);
    assert.ok(health.pid !== null && isAlive(health.pid), 'the sidecar process is alive');
    sidecarPid = health.pid;
  });

  void test("the sidecar's own log lines reach the api log with context 'inference'", () => {
    const lines = harness.logger.messages('inference');
    assert.ok(
      lines.some((line) => line.includes('ready: engine simulate on cpu')),
      `sidecar lines seen: ${lines.join(' | ')}`,
    );
    const transitions = harness.logger.messages('InferenceSupervisor').filter((m) => m.includes('-> ready'));
    assert.equal(transitions.length, 1, 'state changes are logged once, not at every health check');
  });

  void test('generate streams mapped progress, then the done result, and the GLB is valid', async () => {
    const job = await makeJob(outDir);
    const progress: InferenceProgress[] = [];
    const result = await harness.repository.generate(job, (p) => progress.push(p));
    assert.equal(result.engine, 'simulate');
    assert.ok(result.triangles > 0 && result.bytes > 0);
    assert.ok(result.seconds >= SIMULATE_SECONDS * 0.9, `took ${result.seconds} s`);
    assert.ok(existsSync(job.modelPath));
    assert.equal(await gltfErrors(job.modelPath), 0);
    assert.ok(progress.length >= 10, `${progress.length} progress events`);
    const stages = [...new Set(progress.map((p) => p.stage))];
    assert.deepEqual(stages, ['preprocess', 'structure', 'geometry', 'texture', 'export']);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].percent >= progress[i - 1].percent);
    assert.ok(progress.at(-1)!.percent >= 99);
    assert.ok(progress.some((p) => /sampling \d+\/12/.test(p.message)));
    await harness.repository.waitUntilReady(5_000);
    const health = await until('jobs_done to count the job', async () => {
      const h = await harness.repository.health();
      return h.jobsDone === 1 ? h : null;
    });
    assert.equal(health.state, 'ready');
  });

  void test('aborting the signal cancels the job: CANCELLED, and the same sidecar is ready again', async () => {
    const job = await makeJob(outDir);
    const controller = new AbortController();
    const started = Date.now();
    const outcome = harness.repository.generate(job, (p) => {
      if (p.stage === 'structure') controller.abort();
    }, controller.signal);
    await assert.rejects(outcome, (error: unknown) => {
      assert.ok(error instanceof InferenceError);
      assert.equal(error.code, 'CANCELLED');
      return true;
    });
    assert.ok(Date.now() - started < SIMULATE_SECONDS * 1000, 'cancelled before the job would have ended');
    await harness.repository.waitUntilReady(5_000);
    const health = await harness.repository.health();
    assert.equal(health.pid, sidecarPid, 'a cooperative cancel needs no kill');
    assert.equal(health.restarts, 0);
    assert.ok(!existsSync(job.modelPath), 'no GLB for a cancelled job');
    assert.deepEqual(
      readdirSync(outDir).filter((name) => name.endsWith('.partial')),
      [],
      'nor a partial one',
    );
  });

  void test('a job longer than its limit is rejected with TIMEOUT at the limit', async () => {
    const slow = await makeJob(outDir, { timeoutS: 1 });
    const started = Date.now();
    await assert.rejects(harness.repository.generate(slow, () => undefined), (error: unknown) => {
      assert.ok(error instanceof InferenceError);
      assert.equal(error.code, 'TIMEOUT');
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 4_000, `rejected after ${elapsed} ms`);
    await harness.repository.waitUntilReady(5_000);
    assert.equal((await harness.repository.health()).pid, sidecarPid, 'the sidecar stopped the job itself');
  });

  void test('the sidecar rejects an undecodable picture with INVALID_INPUT', async () => {
    const job = await makeJob(outDir, { image: Buffer.from('definitely not a picture') });
    await assert.rejects(harness.repository.generate(job, () => undefined), (error: unknown) => {
      assert.ok(error instanceof InferenceError);
      assert.equal(error.code, 'INVALID_INPUT');
      assert.match(error.message, /could not be decoded/);
      return true;
    });
  });

  void test('SIGKILL mid-job: UNAVAILABLE, the sidecar comes back (restart counted), the next job succeeds', async () => {
    await harness.repository.waitUntilReady(5_000);
    const job = await makeJob(outDir);
    let killed = false;
    const outcome = harness.repository.generate(job, (p) => {
      if (!killed && p.percent >= 10) {
        killed = true;
        process.kill(sidecarPid, 'SIGKILL');
      }
    });
    await assert.rejects(outcome, (error: unknown) => {
      assert.ok(error instanceof InferenceError);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.match(error.message, /sidecar/i);
      return true;
    });
    assert.ok(killed);
    // Asked at once, while the sidecar is still restarting: the job waits for it instead of failing.
    const next = await makeJob(outDir);
    await harness.repository.generate(next, () => undefined);
    assert.ok(existsSync(next.modelPath));
    const health = await harness.repository.health();
    assert.equal(health.restarts, 1);
    assert.ok(health.pid !== null && health.pid !== sidecarPid && isAlive(health.pid));
    assert.ok(!isAlive(sidecarPid));
    assert.ok(
      harness.logger.messages('InferenceSupervisor').some((m) => /killed by SIGKILL; restarting in \d+ ms/.test(m)),
    );
    sidecarPid = health.pid;
  });

  void test('shutdown stops the sidecar (no orphan) and removes its socket folder', async () => {
    // This sidecar's own socket folder, from its KILN_LISTEN (unix://<folder>/inference.sock): other
    // suites running beside this one make and remove kiln3d-* folders in /tmp meanwhile.
    const listen = readFileSync(`/proc/${sidecarPid}/environ`, 'utf8')
      .split('\0')
      .find((entry) => entry.startsWith('KILN_LISTEN='));
    const socketDir = dirname(String(listen).replace(/^KILN_LISTEN=unix:\/\//, ''));
    assert.match(basename(socketDir), /^kiln3d-/, String(listen));
    assert.ok(existsSync(socketDir), `${socketDir} exists while the sidecar runs`);
    await harness.close();
    assert.ok(!isAlive(sidecarPid), 'the sidecar is gone after shutdown');
    const health = await harness.repository.health();
    assert.equal(health.state, 'down');
    assert.ok(!existsSync(socketDir), 'the private socket folder was removed');
    assert.ok(
      harness.logger.messages('inference').some((line) => line.includes('stopping (SIGTERM)')),
      'stopped with SIGTERM, gracefully',
    );
  });
});
