import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, sleep, tempDir, waitFor } from '../support/env';
import { getJson } from '../support/http-client';

const ADMIN_TOKEN = 'worker-restart-admin-token-0123456789';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface WorkerView {
  id: string;
  pid: number;
  host: string;
  state: string;
  sidecar_pid: number | null;
}

/**
 * A worker's sidecar restarted from an api-only process (docs/design.md, HTTP contract: a
 * worker's sidecar): a real `KILN_ROLE=api` process with ADMIN_TOKEN and a real `KILN_ROLE=worker`
 * one with its real inflate sidecar, one Redis, one folder (one machine). The api asks through
 * Redis; the worker restarts through its own InferenceAdminService; /api/health shows the new pid.
 */
void describe('restart a worker’s sidecar from an api-only process', () => {
  const dir = tempDir('e2e-worker-restart');
  const staticDir = join(dir.path, 'static');
  let api: ApiProcess;
  let worker: ApiProcess;

  const workers = async (): Promise<WorkerView[]> =>
    (await getJson<{ workers: WorkerView[] }>(`${api.url}/api/health`)).body.workers;
  const theWorker = async (): Promise<WorkerView> => {
    const [only] = await workers();
    assert.ok(only, 'one worker listed');
    return only;
  };
  /** The worker listed idle with a sidecar other than `previous`; resolves with it. */
  const idleWithNewSidecar = (previous: number | null) =>
    waitFor(
      `the worker idle on a sidecar other than pid ${previous}`,
      async () => {
        const w = await theWorker();
        return w.state === 'idle' && w.sidecar_pid !== null && w.sidecar_pid !== previous ? w : undefined;
      },
      60_000,
    );
  const restarts = async (): Promise<number> => {
    const overview = await getJson<{ workers: { sidecar: { restarts: number } | null }[] }>(
      `${api.url}/api/admin/overview`,
      { headers: ADMIN },
    );
    return overview.body.workers[0]?.sidecar?.restarts ?? -1;
  };
  const restartOne = (id: string, query = '', headers: Record<string, string> = ADMIN) =>
    getJson(`${api.url}/api/admin/workers/${encodeURIComponent(id)}/inference/restart${query}`, {
      method: 'POST',
      headers,
    });

  before(async () => {
    await clearKilnKeys();
    api = await startApi({
      staticDir,
      logDir: join(dir.path, 'api-logs'),
      env: { KILN_ROLE: 'api', ADMIN_TOKEN },
      waitReady: false,
    });
    worker = await startApi({
      staticDir,
      logDir: join(dir.path, 'worker-logs'),
      env: { KILN_ROLE: 'worker', INFERENCE_ENGINE: 'inflate' },
      ready: async (child: ChildProcess) =>
        (await workers()).some((w) => w.pid === child.pid && w.state === 'idle' && w.sidecar_pid !== null),
      readyTimeoutMs: 90_000,
    });
  });
  after(async () => {
    worker?.child.kill('SIGCONT');
    await Promise.all([api?.stop(), worker?.stop()]);
    await clearKilnKeys();
    dir.remove();
  });

  void it('refuses without the admin token (401), an unknown worker (404 worker_not_found) and a bad force (400)', async () => {
    const { id } = await theWorker();
    const without: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong' }];
    for (const headers of without) {
      const refused = await restartOne(id, '', headers);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, { success: false, error: 'Unauthorized', code: 'unauthorized' });
      const all = await getJson(`${api.url}/api/admin/workers/inference/restart`, {
        method: 'POST',
        headers,
      });
      assert.equal(all.status, 401);
    }
    const unknown = await restartOne('00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, {
      success: false,
      error: 'No live worker has this id',
      code: 'worker_not_found',
    });
    const bad = await restartOne(id, '?force=maybe');
    assert.equal(bad.status, 400);
    assert.equal(bad.body['code'], 'invalid_parameter');
    assert.doesNotMatch(worker.output(), /inference sidecar restart requested/, 'nothing reached the worker');
  });

  void it('a graceful restart asked of the api-only process: 202 from the worker, then a new sidecar in /api/health', async () => {
    const before = await theWorker();
    const restartsBefore = await restarts();
    const answer = await restartOne(before.id);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, {
      success: true,
      force: false,
      previous_pid: before.sidecar_pid,
      waits_for_job: false,
      message: 'Restart started',
      worker_id: before.id,
      host: before.host,
      pid: worker.child.pid,
    });
    const afterRestart = await idleWithNewSidecar(before.sidecar_pid);
    assert.equal(afterRestart.id, before.id, 'the same worker process');
    assert.equal(await restarts(), restartsBefore + 1, 'the overview counts one restart more');
    // The worker's own restart path logged it, naming the operator and the relaying process.
    assert.match(
      worker.output(),
      /inference sidecar restart requested by 127\.0\.0\.1 through the api on \S+ \(pid \d+\) \(force=false/,
    );
    // And the asking process names the worker and what it answered.
    assert.ok(
      api.output().includes(`sidecar restart of worker ${before.id}`) &&
        /asked by 127\.0\.0\.1 \(force=false\): Restart started/.test(api.output()),
      api.output().slice(-2000),
    );
  });

  void it('every worker at once, forced: 200 with each outcome, and a new sidecar again', async () => {
    const before = await theWorker();
    const answer = await getJson<Record<string, unknown>>(
      `${api.url}/api/admin/workers/inference/restart?force=true`,
      { method: 'POST', headers: ADMIN },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, {
      force: true,
      accepted: 1,
      workers: [
        {
          worker_id: before.id,
          host: before.host,
          pid: worker.child.pid,
          status: 202,
          code: null,
          message: 'Restart started',
          previous_pid: before.sidecar_pid,
          waits_for_job: false,
        },
      ],
    });
    await idleWithNewSidecar(before.sidecar_pid);
  });

  void it('a worker that cannot answer (stopped with SIGSTOP): 504 worker_no_answer after about 5 s, and no late restart', async () => {
    const before = await theWorker();
    assert.ok(worker.child.kill('SIGSTOP'));
    let answer: Awaited<ReturnType<typeof restartOne>>;
    const started = Date.now();
    try {
      answer = await restartOne(before.id, '?force=true');
    } finally {
      worker.child.kill('SIGCONT');
    }
    const waited = Date.now() - started;
    assert.equal(answer.status, 504, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, {
      success: false,
      error: 'The worker did not answer in time',
      code: 'worker_no_answer',
    });
    assert.ok(waited >= 4_500 && waited < 15_000, `waited ${waited} ms`);
    // Woken up, it reads the request it was sent: withdrawn, so it leaves its sidecar alone.
    await waitFor('the worker to read the withdrawn request', () =>
      Promise.resolve(/came too late; nothing restarted/.test(worker.output()) ? true : undefined),
    );
    await sleep(1_000);
    const now = await theWorker();
    assert.equal(now.sidecar_pid, before.sidecar_pid, 'the same sidecar');
  });
});
