import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type ApiProcess, type StartOptions, startApi } from '../support/api-process';
import { clearKilnKeys, isAlive, tempDir, waitFor } from '../support/env';
import { followToEnd, getJson, sample, upload } from '../support/http-client';
import { type MotoServer, startMoto } from '../support/moto';

const PNG = 'typical_misc_lantern.png';

interface WorkerView {
  id: string;
  pid: number;
  role: string;
  state: string;
  gpu: string | null;
  sidecar_pid: number | null;
}
interface Health {
  role: string;
  queue: { capacity: number; slots_held: number };
  workers: WorkerView[];
}

const health = async (api: ApiProcess): Promise<Health> =>
  (await getJson<Health>(`${api.url}/api/health`)).body;

/** The operator's token of the api-only process: GET /api/admin/health names each worker's task. */
const ADMIN_TOKEN = 'workers-admin-token-0123456789';

interface AdminHealth extends Omit<Health, 'workers'> {
  workers: (WorkerView & { task_id: string | null })[];
}

/** GET /api/admin/health: the public health, each worker with the task it runs (issue 19). */
const adminHealth = async (api: ApiProcess): Promise<AdminHealth> =>
  (
    await getJson<AdminHealth>(`${api.url}/api/admin/health`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    })
  ).body;

/** A worker-only process is ready once `api` lists it idle. */
const listedIdleBy =
  (api: ApiProcess) =>
  async (child: ChildProcess): Promise<boolean> =>
    (await health(api)).workers.some((w) => w.pid === child.pid && w.state === 'idle');

void describe('workers on one Redis', () => {
  const dir = tempDir('e2e-workers');
  const dirs = (name: string): Pick<StartOptions, 'staticDir' | 'logDir'> => ({
    staticDir: join(dir.path, name, 'static'),
    logDir: join(dir.path, name, 'logs'),
  });
  const running: ApiProcess[] = [];
  let moto: MotoServer;
  before(async () => {
    await clearKilnKeys();
    moto = await startMoto();
    await moto.createBucket('kiln-workers');
  });
  // Each test's processes stop with it, failed or not: one left running would make the next
  // test's api refuse to start beside it (another model store on the same Redis).
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await moto?.stop();
    await clearKilnKeys();
    dir.remove();
  });

  void it('an api-only process and three worker-only ones (own folders, one bucket): capacity, 3 at a time, a worker killed mid-job', async () => {
    const env = {
      SIMULATE_SECONDS: '5',
      MAX_QUEUE: '2',
      STORAGE_URL: 's3://kiln-workers/models',
      ...moto.env(),
    };
    const api = await startApi({
      ...dirs('api'),
      env: { ...env, KILN_ROLE: 'api', ADMIN_TOKEN },
      waitReady: false,
    });
    running.push(api);
    assert.equal((await getJson(`${api.url}/api/health`)).status, 503, 'no worker yet: degraded');
    const workers: ApiProcess[] = [];
    for (const name of ['w1', 'w2', 'w3']) {
      const worker = await startApi({
        ...dirs(name),
        env: { ...env, KILN_ROLE: 'worker' },
        ready: listedIdleBy(api),
      });
      running.push(worker);
      workers.push(worker);
    }
    const before = await health(api);
    assert.equal(before.role, 'api');
    // It runs no sidecar: the console's restart is refused in words, not a bare 404.
    const restart = await getJson(`${api.url}/api/admin/inference/restart`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(restart.status, 409);
    assert.deepEqual(restart.body, {
      success: false,
      error: 'The inference sidecar is not managed by this process',
      code: 'sidecar_not_managed',
    });
    assert.equal(before.workers.length, 3);
    assert.equal(before.queue.capacity, 3 + 2, 'one running slot per live worker + MAX_QUEUE');
    assert.equal((await getJson(`${api.url}/api/health`)).status, 200);

    const accepted: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await upload<{ task_id: string }>(api.url, sample(PNG));
      if (response.status === 202) accepted.push(response.body.task_id);
      else assert.equal(response.status, 503, JSON.stringify(response.body));
    }
    assert.equal(accepted.length, 5, 'capacity 5: the 6th upload is refused');
    const streams = accepted.map((id) => followToEnd(api.url, id, 120_000));

    const busy = await waitFor('three jobs running at once', async () => {
      const now = (await adminHealth(api)).workers.filter((w) => w.state === 'busy');
      return now.length === 3 ? now : undefined;
    });
    assert.deepEqual(
      busy.map((w) => w.task_id).filter((id) => id !== null && accepted.includes(id)).length,
      3,
      'the admin health names the task each busy worker runs',
    );
    const publicHealth = await fetch(`${api.url}/api/health`).then((r) => r.text());
    assert.ok((JSON.parse(publicHealth) as Health).workers.every((w) => !('task_id' in w)));
    for (const id of accepted) assert.ok(!publicHealth.includes(id), 'the public health names no task');
    // A worker dies mid-job: its task runs again, once, on another worker.
    const victim = workers.find((w) => w.child.pid === busy[0].pid);
    assert.ok(victim);
    const killedTask = busy[0].task_id;
    assert.ok(killedTask);
    await victim.kill();
    await waitFor('the dead worker to drop out', async () =>
      (await health(api)).workers.length === 2 ? true : undefined,
    );
    assert.equal((await health(api)).queue.capacity, 2 + 2);

    const ends = await Promise.all(streams);
    for (const [i, events] of ends.entries()) {
      const last = events[events.length - 1];
      assert.equal(last.event, 'completed', `${accepted[i]}: ${JSON.stringify(last.data)}`);
      assert.equal(events.filter((e) => e.event === 'completed').length, 1);
      for (const url of [last.data['model_url'], last.data['download_url']]) {
        const model = await fetch(String(url));
        assert.equal(model.status, 200, String(url));
        assert.equal(
          Buffer.from(await model.arrayBuffer())
            .subarray(0, 4)
            .toString(),
          'glTF',
        );
      }
    }
    const logs = workers.map((w) => w.output()).join('\n');
    assert.equal(
      logs.split(`inference start task=${killedTask}`).length - 1,
      2,
      'started twice: killed, then again',
    );
    assert.equal(logs.split(`inference end task=${killedTask}`).length - 1, 1, 'completed once');
    // A worker serves no HTTP: its log names no route (Nest's RoutesResolver once mapped them all).
    assert.doesNotMatch(logs, /Mapped \{|RoutesResolver/, 'no route table in a worker log');
    assert.match(logs, /Kiln3D worker started \(no HTTP/);
    // The follower sees that it started over: it reads queued again once the dead worker's lock
    // lapsed, unless another worker took the job up before a position refresh ran (the refresh and
    // Bull's stalled check are timers of each process): then its next run carries a new started_at.
    const killedRun = ends[accepted.indexOf(killedTask)];
    const runs = new Set(
      killedRun.filter((e) => e.event === 'processing').map((e) => String(e.data['started_at'])),
    );
    const queuedAgain = killedRun.some(
      (e, i) => i > 0 && e.event === 'queued' && killedRun.slice(0, i).some((p) => p.event === 'processing'),
    );
    assert.ok(
      queuedAgain || runs.size === 2,
      `the killed job read queued again, or ran again with a new started_at: ${JSON.stringify(killedRun.map((e) => [e.event, e.data['started_at']]))}`,
    );
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });

  void it('KILN_GPUS=0,1: one command, one worker per GPU, each sidecar pinned by CUDA_VISIBLE_DEVICES', async () => {
    const api = await startApi({
      ...dirs('gpus'),
      env: { INFERENCE_ENGINE: 'inflate', KILN_GPUS: '0,1' },
      waitReady: false,
    });
    running.push(api);
    const listed = await waitFor(
      'two idle GPU workers',
      async () => {
        const workers = (await health(api)).workers.filter(
          (w) => w.state === 'idle' && w.sidecar_pid !== null,
        );
        return workers.length === 2 ? workers : undefined;
      },
      60_000,
    );
    assert.deepEqual(listed.map((w) => w.gpu).sort(), ['0', '1']);
    assert.deepEqual(
      listed.map((w) => w.role).sort(),
      ['all', 'worker'],
      'this process takes GPU 0, a worker-only child GPU 1',
    );
    for (const worker of listed) {
      const environ = readFileSync(`/proc/${worker.sidecar_pid}/environ`, 'utf8').split('\0');
      assert.ok(environ.includes(`CUDA_VISIBLE_DEVICES=${worker.gpu}`), `sidecar of GPU ${worker.gpu}`);
    }
    const results = await Promise.all(
      [0, 1].map(() => upload<{ model_url: string }>(api.url, sample(PNG), { query: '?wait=true' })),
    );
    for (const result of results) assert.equal(result.status, 200, JSON.stringify(result.body));

    await api.stop();
    const pids = listed.flatMap((w) => [w.pid, w.sidecar_pid ?? 0]);
    await waitFor(
      'every worker and sidecar gone',
      () => Promise.resolve(pids.every((pid) => !isAlive(pid)) ? true : undefined),
      30_000,
    );
  });
});
