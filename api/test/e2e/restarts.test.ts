import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/redis-keys';
import { type ApiProcess, startApi } from '../support/api-process';
import { TEST_REDIS_URL, clearKilnKeys, sleep, tempDir, waitFor } from '../support/env';
import { followToEnd, getJson, readSse, sample, upload } from '../support/http-client';

const PNG = 'typical_misc_lantern.png';
/** A job long enough to be interrupted for sure; the last start uses a short one to finish. */
const LONG_JOB = { SIMULATE_SECONDS: '60' };
const SHORT_JOB = { SIMULATE_SECONDS: '1' };

type Snapshot = Record<string, unknown>;

/**
 * Restarts of the api with work in flight (issue 11, "Restarts"): a crash (SIGKILL), a crash twice
 * during the same task, a graceful stop (SIGTERM). Each test starts and kills real api processes.
 */
void describe('api restarts with a task in flight', () => {
  const dir = tempDir('e2e-restarts');
  const staticDir = join(dir.path, 'static');
  const logDir = join(dir.path, 'logs');
  const redis = new Redis(TEST_REDIS_URL);
  let api: ApiProcess | undefined;

  /** Not waiting for the sidecar's `ready`: a restarted api may be busy with the task at once. */
  const start = async (env: Record<string, string>): Promise<ApiProcess> => {
    api = await startApi({ staticDir, logDir, env, waitReady: false });
    return api;
  };
  const submit = async (on: ApiProcess): Promise<string> => {
    const response = await upload<{ task_id: string }>(on.url, sample(PNG));
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.task_id;
  };
  /** The task's snapshot straight from Redis (works while no api runs). */
  const stored = async (id: string): Promise<Snapshot> => {
    const raw = await redis.hget(RedisKeys.task(id), 'snapshot');
    assert.ok(raw !== null, `task ${id} is in Redis`);
    return JSON.parse(raw) as Snapshot;
  };
  const runningSince = (on: ApiProcess, id: string, notStartedAt?: unknown) =>
    waitFor(
      `task ${id} to run`,
      async () => {
        const body = (await getJson(`${on.url}/api/tasks/${id}`)).body;
        return body['status'] === 'processing' && body['started_at'] !== notStartedAt
          ? body['started_at']
          : undefined;
      },
      90_000,
      100,
    );

  before(async () => {
    await clearKilnKeys();
  });
  afterEach(async () => {
    await api?.kill();
    api = undefined;
    await clearKilnKeys();
  });
  after(() => {
    redis.disconnect();
    dir.remove();
  });

  void it('a task whose job stalls twice ends failed 500, frees its slot and image, the api stays up', async () => {
    let current = await start(LONG_JOB);
    const id = await submit(current);
    const firstRun = await runningSince(current, id);
    await current.kill();
    current = await start(LONG_JOB);
    // Bull runs the stalled job again once its lock lapsed: that is the second run.
    await runningSince(current, id, firstRun);
    await current.kill();
    current = await start(LONG_JOB);
    const failed = await waitFor(
      'the task to fail',
      async () => {
        const body = (await getJson(`${current.url}/api/tasks/${id}`)).body;
        return body['status'] === 'failed' ? body : undefined;
      },
      60_000,
      200,
    );
    assert.equal(failed['http_status'], 500);
    assert.equal(failed['error'], 'Internal error');
    // One more stalled-job check (5 s) passes: the api is still there and healthy.
    await sleep(6_000);
    assert.equal(current.child.exitCode, null, current.output().slice(-3000));
    const health = (await getJson(`${current.url}/api/health`)).body as { queue: { slots_held: number } };
    assert.equal(health.queue.slots_held, 0, 'its queue slot is released');
    assert.equal(await redis.exists(RedisKeys.image(id)), 0, 'its image is deleted');
    assert.equal(await redis.zscore(RedisKeys.admission, id), null);
    // The queue goes on.
    const next = await submit(current);
    await current.kill();
    current = await start(SHORT_JOB);
    const events = await followToEnd(current.url, next, 60_000);
    assert.equal(events[events.length - 1].event, 'completed');
  });

  void it('one SIGTERM always stops the api soon; the running task goes back to queued, then completes', async () => {
    let id = '';
    for (let round = 1; round <= 3; round++) {
      const current = await start(LONG_JOB);
      if (round === 1) id = await submit(current);
      await runningSince(current, id);
      const running = await stored(id);
      const stopAt = Date.now();
      await current.stop(25_000);
      const stopS = (Date.now() - stopAt) / 1000;
      assert.notEqual(current.child.signalCode, 'SIGKILL', `round ${round}: one SIGTERM ended it`);
      assert.ok(stopS < 20, `round ${round}: stopped in ${stopS} s`);
      process.stdout.write(`# round ${round}: SIGTERM to exit ${stopS.toFixed(1)} s\n`);
      const after = await stored(id);
      assert.equal(after['status'], 'queued', `round ${round}: ${JSON.stringify(after)}`);
      // The page believes a step back (processing -> queued) only from a later write (the web's
      // task-state.ts): the return to the queue must carry a later updated_at than the run's.
      assert.ok(
        Date.parse(String(after['updated_at'])) > Date.parse(String(running['updated_at'])),
        `round ${round}: updated_at ${String(running['updated_at'])} -> ${String(after['updated_at'])}`,
      );
    }
    const last = await start(SHORT_JOB);
    const events = await followToEnd(last.url, id, 60_000);
    assert.equal(events[events.length - 1].event, 'completed', JSON.stringify(events[events.length - 1]));
  });

  void it("an operator's forced restart of the sidecar runs the running task again at once, before the waiting one", async () => {
    const admin = 'admin-token-for-restarts-0123456789';
    // Long enough that the job still runs when the restart comes on a loaded machine.
    const current = await start({ SIMULATE_SECONDS: '12', ADMIN_TOKEN: admin });
    const first = await submit(current);
    const firstRun = await runningSince(current, first);
    const second = await upload<{ task_id: string }>(current.url, sample('typical_creature_elephant.png'));
    assert.equal(second.status, 202, JSON.stringify(second.body));
    // The sidecar itself runs the job (processing alone may still wait for its first start).
    await waitFor(
      'the sidecar to report progress',
      async () =>
        Number((await getJson(`${current.url}/api/tasks/${first}`)).body['progress'] ?? 0) >= 10
          ? true
          : undefined,
      30_000,
      50,
    );
    const restart = await fetch(`${current.url}/api/admin/inference/restart?force=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(restart.status, 202);
    // It starts over on the fresh sidecar (a new started_at, progress from 0), never failed.
    await runningSince(current, first, firstRun);
    const again = (await getJson(`${current.url}/api/tasks/${first}`)).body;
    assert.equal(again['error'], undefined, JSON.stringify(again));
    assert.ok(Number(again['progress']) < 50, JSON.stringify(again));
    const waiting = (await getJson(`${current.url}/api/tasks/${second.body.task_id}`)).body;
    assert.equal(waiting['status'], 'queued', JSON.stringify(waiting));
    assert.equal(waiting['position'], 1, JSON.stringify(waiting));
    const events = await followToEnd(current.url, first, 60_000);
    assert.equal(events[events.length - 1].event, 'completed', JSON.stringify(events[events.length - 1]));
    assert.match(current.output(), /interrupted by a forced restart of the sidecar: it starts over/);
  });

  void it("one SIGTERM while someone watches the running task's event stream: the stream is ended, the stop is graceful", async () => {
    const current = await start(LONG_JOB);
    const id = await submit(current);
    await runningSince(current, id);
    const watching = readSse(`${current.url}/api/status/${id}`, { timeoutMs: 40_000 });
    // The stream's first event (the current state) is written at once.
    await sleep(500);
    const stopAt = Date.now();
    await current.stop(25_000);
    const stopS = (Date.now() - stopAt) / 1000;
    assert.notEqual(current.child.signalCode, 'SIGKILL', 'one SIGTERM ended it');
    assert.doesNotMatch(current.output(), /shutdown took over/, 'not the forced exit');
    assert.ok(stopS < 20, `stopped in ${stopS} s`);
    const read = await watching;
    assert.ok(read.events.length > 0, 'the stream was open');
    assert.ok(
      read.endedByServer,
      'the server ended the stream (its EventSource reconnects with Last-Event-ID)',
    );
  });

  void it('one SIGTERM stops an idle api at once while a browser holds sockets: one never used, one kept alive', async () => {
    const current = await start(SHORT_JOB);
    // What a browser tab leaves open (an upgrade trial's Chromium): a spare socket opened ahead of
    // need that never sends a request, and a keep-alive one whose request is done.
    const spare = connect(current.port, '127.0.0.1');
    spare.on('error', () => undefined);
    await once(spare, 'connect');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      httpGet(`${current.url}/api/health`, { agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      }).on('error', reject);
    });
    await sleep(300);
    const stopAt = Date.now();
    await current.stop(40_000);
    const stopS = (Date.now() - stopAt) / 1000;
    agent.destroy();
    spare.destroy();
    assert.doesNotMatch(current.output(), /shutdown took over/, 'not the forced exit (code 1 after 30 s)');
    assert.equal(current.child.signalCode, 'SIGTERM', current.output().slice(-3000));
    assert.ok(stopS < 10, `stopped in ${stopS} s`);
  });

  void it('one SIGTERM stops an api whose remote sidecar (INFERENCE_URL) is unreachable while a job waits for it', async () => {
    // Nothing listens on port 9 of this machine: the job waits for a sidecar that never comes.
    const current = await start({ INFERENCE_URL: '127.0.0.1:9' });
    const id = await submit(current);
    await runningSince(current, id);
    await current.stop(25_000);
    // A graceful stop ends as Nest's shutdown hooks end it: by the SIGTERM itself, once they ran.
    assert.equal(current.child.signalCode, 'SIGTERM', current.output().slice(-3000));
    assert.equal((await stored(id))['status'], 'queued', 'the task waits for the next start');
  });

  void it('after a crash the interrupted task reads queued, position 1, once its lock lapses, while another runs', async () => {
    let current = await start(LONG_JOB);
    const interrupted = await submit(current);
    const waiting = await submit(current);
    const firstRun = await runningSince(current, interrupted);
    const killedAt = Date.now();
    await current.kill();
    current = await start(LONG_JOB);
    // The waiting task runs at once (60 s); the interrupted one waits behind it, and says so.
    await runningSince(current, waiting);
    const seen = await waitFor(
      'the interrupted task to read queued',
      async () => {
        const body = (await getJson(`${current.url}/api/tasks/${interrupted}`)).body;
        assert.equal(body['started_at'] ?? firstRun, firstRun, 'it did not run again meanwhile');
        return body['status'] === 'queued' ? body : undefined;
      },
      40_000,
      100,
    );
    const afterS = (Date.now() - killedAt) / 1000;
    assert.equal(seen['position'], 1);
    assert.equal(typeof seen['eta_s'], 'number');
    assert.equal(seen['progress'], undefined);
    // The lock lapses at most lockDuration (15 s) after the crash; Bull's next stalled check (every
    // STALLED_CHECK_MS, 5 s) moves the job back, then one refresh (1 s) shows it: 21 s at worst
    // (the queue's settings), plus a margin for a busy machine (npm test runs suites side by side).
    assert.ok(afterS < 25, `queued ${afterS} s after the crash`);
    process.stdout.write(`# interrupted task read queued ${afterS.toFixed(1)} s after the crash\n`);
  });
});
