/**
 * Medium test: INFERENCE_URL mode. The REAL sidecar is started here, apart from the api; the api
 * only connects (managed: false), reports its health, runs jobs, and never restarts it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { freePort } from '../support/ports';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InferenceError } from '../../src/inference/inference.repository';
import { ExecaSidecarLauncher, SidecarProcess } from '../../src/inference/sidecar/sidecar-process';
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

const TOKEN = 'remote-admin-token-0123456789';

async function startSidecar(port: number): Promise<SidecarProcess> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  Object.assign(env, { KILN_ENGINE: 'simulate', KILN_SIMULATE_SECONDS: '1', KILN_LISTEN: `127.0.0.1:${port}` });
  return new ExecaSidecarLauncher().launch({
    command: join(ROOT, 'inference', '.venv', 'bin', 'python'),
    args: ['-m', 'kiln3d_inference'],
    cwd: ROOT,
    env,
    onLine: () => undefined,
  });
}

void describe('INFERENCE_URL: a sidecar this api does not manage', { timeout: 120_000 }, () => {
  const outDir = tempDir('kiln3d-inference-remote-');
  let port: number;
  let sidecar: SidecarProcess;
  let harness: InferenceTestApp;

  before(async () => {
    port = await freePort();
    sidecar = await startSidecar(port);
    harness = await startInferenceApp(testConfig({ INFERENCE_URL: `127.0.0.1:${port}`, ADMIN_TOKEN: TOKEN }));
    await harness.repository.waitUntilReady(60_000);
  });

  after(async () => {
    await harness?.close();
    sidecar?.kill('SIGKILL');
    await sidecar?.exited;
    removeDir(outDir);
  });

  void test('health comes from the remote Health rpc: managed false, its pid, its engine', async () => {
    const health = await harness.repository.health();
    assert.equal(health.state, 'ready');
    assert.equal(health.managed, false);
    assert.equal(health.pid, sidecar.pid);
    assert.equal(health.engine, 'simulate');
    assert.equal(health.restarts, 0);
  });

  void test('jobs run on the remote sidecar', async () => {
    const nextJob = await makeJob(outDir);
    const result = await harness.repository.generate(nextJob, () => undefined);
    assert.ok(existsSync(nextJob.modelPath));
    assert.equal(result.engine, 'simulate');
  });

  void test('the restart route answers 409: this api cannot restart a sidecar it does not run', async () => {
    const response = await fetch(`${harness.baseUrl}/api/admin/inference/restart?force=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, 409);
    assert.ok(isAlive(sidecar.pid));
  });

  void test('when the remote sidecar goes away: down, and a job times out waiting; when it is back: ready', async () => {
    sidecar.kill('SIGKILL');
    await sidecar.exited;
    await until('state down', async () => (await harness.repository.health()).state === 'down');
    await assert.rejects(
      harness.repository.generate(await makeJob(outDir, { timeoutS: 1 }), () => undefined),
      (error: unknown) => error instanceof InferenceError && error.code === 'TIMEOUT',
    );
    sidecar = await startSidecar(port);
    await harness.repository.waitUntilReady(30_000);
    const health = await harness.repository.health();
    assert.equal(health.pid, sidecar.pid);
    assert.equal(health.restarts, 0, 'never restarted by this api');
  });
});

void describe('admin routes are off without ADMIN_TOKEN', { timeout: 120_000 }, () => {
  let harness: InferenceTestApp;
  before(async () => {
    // No sidecar is needed to answer 404; an unreachable INFERENCE_URL keeps this one cheap.
    harness = await startInferenceApp(testConfig({ INFERENCE_URL: 'unix:///nonexistent/kiln3d.sock' }));
  });
  after(() => harness?.close());

  void test('404 with or without a token', async () => {
    for (const headers of [{}, { authorization: 'Bearer anything' }] as Record<string, string>[]) {
      const response = await fetch(`${harness.baseUrl}/api/admin/inference/restart`, { method: 'POST', headers });
      assert.equal(response.status, 404);
    }
    assert.equal((await harness.repository.health()).managed, false);
  });
});
