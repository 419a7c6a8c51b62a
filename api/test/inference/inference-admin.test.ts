/**
 * Medium test: POST /api/admin/inference/restart over HTTP against a Nest app whose sidecar is the
 * REAL Python one: token checks, graceful restart after the running job, forced restart at once.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { InferenceError } from '../../src/inference/inference.repository';
import {
  InferenceTestApp,
  isAlive,
  makeJob,
  removeDir,
  startInferenceApp,
  tempDir,
  testConfig,
  until,
} from './support';

const TOKEN = 'admin-token-for-tests-0123456789';

void describe('admin restart route (managed sidecar)', { timeout: 120_000 }, () => {
  const outDir = tempDir('kiln3d-inference-admin-');
  let harness: InferenceTestApp;

  const restart = (query = '', authorization: string | null = `Bearer ${TOKEN}`): Promise<Response> =>
    fetch(`${harness.baseUrl}/api/admin/inference/restart${query}`, {
      method: 'POST',
      headers: authorization === null ? {} : { authorization },
    });

  const freshSidecar = async (oldPid: number | null): Promise<number> => {
    const health = await until('a fresh ready sidecar', async () => {
      const h = await harness.repository.health();
      return h.pid !== oldPid && h.state === 'ready' ? h : null;
    });
    assert.ok(health.pid !== null);
    return health.pid;
  };

  before(async () => {
    harness = await startInferenceApp(testConfig({ SIMULATE_SECONDS: '1.5', ADMIN_TOKEN: TOKEN }));
    await harness.repository.waitUntilReady(60_000);
  });

  after(async () => {
    await harness?.close();
    removeDir(outDir);
  });

  void test('401 without a token or with a wrong one, and nothing is restarted', async () => {
    const pid = (await harness.repository.health()).pid;
    for (const authorization of [null, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
      const response = await restart('', authorization);
      assert.equal(response.status, 401, `authorization ${authorization}`);
      assert.deepEqual(await response.json(), { success: false, error: 'Unauthorized', code: 'unauthorized' });
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = await harness.repository.health();
    assert.equal(health.pid, pid);
    assert.equal(health.restarts, 0);
  });

  void test('400 on a force value that is neither true nor false', async () => {
    const response = await restart('?force=maybe');
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      success: false,
      error: 'force must be true or false',
      code: 'invalid_parameter',
    });
  });

  void test('202 graceful: the running job finishes, then a fresh sidecar starts', async () => {
    const oldPid = (await harness.repository.health()).pid;
    let running!: () => void;
    const jobRunning = new Promise<void>((resolve) => (running = resolve));
    const firstJob = await makeJob(outDir);
    const job = harness.repository.generate(firstJob, () => running());
    await jobRunning;
    const response = await restart();
    assert.equal(response.status, 202);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(body, {
      success: true,
      force: false,
      previous_pid: oldPid,
      waits_for_job: true,
      message: 'Restart will start when the running job ends',
    });
    await job;
    assert.ok(existsSync(firstJob.modelPath), 'the running job was not interrupted');
    const newPid = await freshSidecar(oldPid);
    assert.ok(!isAlive(oldPid));
    assert.equal((await harness.repository.health()).restarts, 1);
    assert.ok(isAlive(newPid));
  });

  void test('202 with force=true: the sidecar is killed at once, its job fails RESTARTED', async () => {
    const oldPid = (await harness.repository.health()).pid;
    let running!: () => void;
    const jobRunning = new Promise<void>((resolve) => (running = resolve));
    const firstJob = await makeJob(outDir);
    const job = harness.repository.generate(firstJob, () => running());
    await jobRunning;
    const response = await restart('?force=true');
    assert.equal(response.status, 202);
    assert.equal(((await response.json()) as { force: boolean }).force, true);
    await assert.rejects(job, (error: unknown) => {
      assert.ok(error instanceof InferenceError);
      assert.equal(error.code, 'RESTARTED');
      assert.equal(error.message, 'Inference sidecar restarted by an operator during the job (killed by SIGKILL)');
      return true;
    });
    await freshSidecar(oldPid);
    assert.ok(!isAlive(oldPid));
    assert.equal((await harness.repository.health()).restarts, 2);
    const nextJob = await makeJob(outDir);
    await harness.repository.generate(nextJob, () => undefined);
    assert.ok(existsSync(nextJob.modelPath), 'the next job succeeds');
  });
});
