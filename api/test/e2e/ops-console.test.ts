import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir, waitFor } from '../support/env';
import { getJson, sample, upload } from '../support/http-client';

const PNG = 'typical_misc_lantern.png';
const ADMIN_TOKEN = 'ops-console-token-0123456789';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface Overview {
  admissions: { paused: boolean; since: string | null; by: string | null };
  workers: {
    state: string;
    engine: string;
    task_id: string | null;
    sidecar: { state: string; jobs_started: number; restarts: number; vram_total_bytes: number } | null;
  }[];
  queue: {
    capacity: number;
    running: number;
    waiting: number;
    tasks: Record<string, unknown>[];
  };
  failures: { code: string; last_hour: number; last_day: number }[];
  durations: { job_timeout_s: number; presets: { quality: string; expected_s: number }[] };
  storage: {
    kind: string;
    files: number;
    bytes: number;
    disk_free_bytes: number | null;
    next_cleanup_at: string | null;
  };
}

/**
 * The ops console's routes (issue 22) on two api processes sharing one Redis and one store: A runs
 * jobs (simulate, 4 s each) and has ADMIN_TOKEN; B is api-only without it (its admin routes are
 * off: 404). A pause made on A refuses uploads on B, and the resume on A lets them in again.
 */
void describe('ops console routes (admin)', () => {
  const dir = tempDir('e2e-ops');
  const staticDir = join(dir.path, 'static');
  const logDir = join(dir.path, 'logs');
  let a: ApiProcess;
  let b: ApiProcess;

  const admin = (path: string, method = 'GET') => getJson(`${a.url}${path}`, { method, headers: ADMIN });
  const overview = async (): Promise<Overview> => {
    const response = await getJson<Overview>(`${a.url}/api/admin/overview`, { headers: ADMIN });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };

  before(async () => {
    await clearKilnKeys();
    // Instant repeats on A only (the harness turns them off): a repeat follows a job there.
    a = await startApi({
      staticDir,
      logDir,
      env: { ADMIN_TOKEN, SIMULATE_SECONDS: '4', INSTANT_REPEATS: 'on' },
    });
    b = await startApi({ staticDir, logDir, env: { KILN_ROLE: 'api' }, waitReady: false });
  });
  after(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await clearKilnKeys();
    dir.remove();
  });

  void it('refuses without the token (401 + challenge), and is off where ADMIN_TOKEN is unset (404)', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/admin/overview'],
      ['POST', '/api/admin/admissions/pause'],
      ['POST', '/api/admin/admissions/resume'],
      ['POST', '/api/admin/cleanup'],
      ['DELETE', '/api/admin/tasks/00000000-0000-4000-8000-000000000000'],
    ];
    for (const [method, path] of routes) {
      const bare = await getJson(`${a.url}${path}`, { method });
      assert.equal(bare.status, 401, `${method} ${path}`);
      assert.equal(bare.body['code'], 'unauthorized');
      assert.match(bare.headers.get('www-authenticate') ?? '', /^Bearer /);
      const wrong = await getJson(`${a.url}${path}`, { method, headers: { Authorization: 'Bearer wrong' } });
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
      const off = await getJson(`${b.url}${path}`, { method, headers: ADMIN });
      assert.equal(off.status, 404, `${method} ${path} on a process without ADMIN_TOKEN`);
    }
    assert.equal((await admin('/api/admin/admissions/resume', 'POST')).status, 200);
  });

  void it('shows the worker with its sidecar and the queue (running, waiting; no tokens), and cancels a waiting task', async () => {
    const first = await upload<{ task_id: string; task_token: string }>(a.url, sample(PNG));
    const second = await upload<{ task_id: string; task_token: string }>(b.url, sample(PNG));
    // The same picture again on the worker's process: an instant repeat following the first job.
    const repeat = await upload<{ task_id: string; task_token: string }>(a.url, sample(PNG));
    assert.deepEqual([first.status, second.status, repeat.status], [202, 202, 202]);
    // The worker's figures come with its heartbeat (every 2 s), the queue's at once.
    const seen = await waitFor('one job running (two tasks) and one waiting', async () => {
      const body = await overview();
      return body.queue.running === 1 &&
        body.queue.waiting === 1 &&
        body.queue.tasks.length === 3 &&
        body.workers[0]?.task_id === first.body.task_id
        ? body
        : undefined;
    });
    assert.equal(seen.workers.length, 1);
    const [worker] = seen.workers;
    assert.equal(worker.engine, 'simulate');
    assert.equal(worker.task_id, first.body.task_id);
    assert.ok(worker.sidecar, 'the worker reports its sidecar');
    assert.equal(worker.sidecar.state, 'busy');
    assert.ok(worker.sidecar.jobs_started >= 1);
    const row = (t: Record<string, unknown>): unknown[] => [
      t['task_id'],
      t['job_id'],
      t['status'],
      t['quality'],
    ];
    const byId = (a: unknown[], b: unknown[]): number => String(a[0]).localeCompare(String(b[0]));
    assert.deepEqual(
      seen.queue.tasks.slice(0, 2).map(row).sort(byId),
      [
        [first.body.task_id, first.body.task_id, 'processing', 'balanced'],
        [repeat.body.task_id, first.body.task_id, 'processing', 'balanced'],
      ].sort(byId),
      'the job running, and the repeat following it',
    );
    assert.deepEqual(row(seen.queue.tasks[2]), [
      second.body.task_id,
      second.body.task_id,
      'queued',
      'balanced',
    ]);
    assert.equal(seen.queue.tasks[2]['position'], 1);
    assert.ok(typeof seen.queue.tasks[2]['eta_s'] === 'number');
    const text = JSON.stringify(seen);
    assert.ok(
      [first, second, repeat].every((made) => !text.includes(made.body.task_token)),
      'no task token',
    );
    for (const task of seen.queue.tasks)
      assert.deepEqual(Object.keys(task).sort(), [
        'age_s',
        'eta_s',
        'job_id',
        'position',
        'progress',
        'quality',
        'stage',
        'status',
        'task_id',
      ]);
    assert.deepEqual(
      seen.durations.presets.map((p) => p.quality),
      ['fast', 'balanced', 'high'],
    );
    assert.equal(seen.storage.kind, 'local');
    assert.ok((seen.storage.disk_free_bytes ?? 0) > 0);
    assert.ok(seen.storage.next_cleanup_at !== null);

    // The job's first task cancelled: the job runs on for its repeat, and the console still shows it.
    assert.equal((await admin(`/api/admin/tasks/${first.body.task_id}`, 'DELETE')).status, 200);
    const followed = await overview();
    assert.equal(followed.queue.running, 1, JSON.stringify(followed.queue));
    assert.deepEqual(followed.queue.tasks.map(row), [
      [repeat.body.task_id, first.body.task_id, 'processing', 'balanced'],
      [second.body.task_id, second.body.task_id, 'queued', 'balanced'],
    ]);

    // The operator's cancel: no X-Task-Token, the same end as the maker's.
    const cancelled = await admin(`/api/admin/tasks/${second.body.task_id}`, 'DELETE');
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.deepEqual(
      [cancelled.body['status'], cancelled.body['error_code'], cancelled.body['cancelled']],
      ['failed', 'task_cancelled', true],
    );
    assert.equal((await admin(`/api/admin/tasks/${second.body.task_id}`, 'DELETE')).status, 409);
    const unknown = await admin('/api/admin/tasks/00000000-0000-4000-8000-000000000000', 'DELETE');
    assert.deepEqual([unknown.status, unknown.body['code']], [404, 'task_not_found']);
    const after = await overview();
    assert.equal(after.queue.waiting, 0);
    assert.deepEqual(
      after.failures.find((f) => f.code === 'task_cancelled'),
      { code: 'task_cancelled', last_hour: 2, last_day: 2 },
    );
    assert.match(a.output(), new RegExp(`task ${second.body.task_id} cancelled by operator 127\\.0\\.0\\.1`));
  });

  void it('a pause on one api process refuses uploads on another (503 + Retry-After), before decoding; resume ends it', async () => {
    const paused = await admin('/api/admin/admissions/pause', 'POST');
    assert.equal(paused.status, 200);
    assert.deepEqual(
      [paused.body['paused'], paused.body['changed'], paused.body['by']],
      [true, true, '127.0.0.1'],
    );
    const again = await admin('/api/admin/admissions/pause', 'POST');
    assert.deepEqual([again.body['changed'], again.body['since']], [false, paused.body['since']]);
    for (const on of [a, b]) {
      const refused = await upload(on.url, sample(PNG));
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.body, {
        success: false,
        error: 'Not taking new tasks right now, retry later',
        code: 'admissions_paused',
      });
      assert.equal(refused.headers.get('retry-after'), '60');
    }
    assert.equal((await overview()).admissions.paused, true);
    assert.match(a.output(), /admissions paused by 127\.0\.0\.1/);
    const resumed = await admin('/api/admin/admissions/resume', 'POST');
    assert.deepEqual([resumed.status, resumed.body['paused'], resumed.body['changed']], [200, false, true]);
    assert.equal((await admin('/api/admin/admissions/resume', 'POST')).body['changed'], false);
    const accepted = await upload(b.url, sample(PNG));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  });

  void it('runs the cleanup now and answers what it deleted', async () => {
    const old = join(staticDir, '6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab.glb');
    writeFileSync(old, Buffer.alloc(1234, 1));
    const longAgo = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    utimesSync(old, longAgo, longAgo);
    const first = await admin('/api/admin/cleanup', 'POST');
    assert.deepEqual([first.status, first.body], [200, { deleted: 1, bytes: 1234 }]);
    const second = await admin('/api/admin/cleanup', 'POST');
    assert.deepEqual(second.body, { deleted: 0, bytes: 0 });
    assert.match(a.output(), /model cleanup requested by 127\.0\.0\.1: 1 file\(s\), 1234 bytes deleted/);
  });
});
