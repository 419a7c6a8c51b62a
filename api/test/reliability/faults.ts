import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorMessage } from '../../src/common/api-error';
import { RedisKeys } from '../../src/redis/redis-keys';
import { sleep, tempDir, waitFor } from '../support/env';
import { getJson, readSse } from '../support/http-client';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { type CategoryRun, Recorder, type SuiteApi, freshRedis, startSuiteApi } from './harness';
import { discPng } from './images';
import { imagePart, postMultipart } from './multipart';
import { FOLDER_MARKER } from '../../src/storage/local-model-store';

interface Health {
  status?: string;
  inference?: { state?: string; pid?: number };
}

const health = async (url: string): Promise<Health> => (await getJson<Health>(`${url}/api/health`)).body;

async function submit(suite: SuiteApi, recorder: Recorder, png: Buffer): Promise<string> {
  const reply = await postMultipart(suite.api.url, [imagePart(png)]);
  assert.equal(reply.status, 202, reply.body);
  const id = String(reply.json!['task_id']);
  recorder.admitted.add(id);
  return id;
}

const statusOf = async (url: string, id: string): Promise<Record<string, unknown>> =>
  (await getJson(`${url}/api/tasks/${id}`)).body;

/**
 * Faults (issue 11), each on real api processes and a real sidecar: the sidecar SIGKILLed mid-job;
 * an engine that stalls past JOB_TIMEOUT_S (504, a fresh sidecar); the api SIGKILLed with tasks
 * waiting, then started (each completes once; SSE clients reconnect with Last-Event-ID and get the
 * final state); Redis restarted with work in flight (a private redis-server on a free port, never
 * the shared one); the api stopped while that Redis is down and a job runs. Every admitted task
 * must end; nothing may be left behind.
 */
export const runFaults: CategoryRun = async (ctx) => {
  const recorder = new Recorder('faults', ctx);
  const only = process.env.KILN_RELIABILITY_FAULTS?.split(',');
  // [name, scenario, in the quick profile too]: the two slowest run in the full profile only
  // (api/test/e2e/restarts.test.ts kills the api in every `npm test` already).
  const scenarios: [string, (r: Recorder) => Promise<void>, boolean][] = [
    ['sidecar', sidecarKilled, true],
    ['stall', engineStalls, true],
    ['api', apiKilledWithWaiting, false],
    ['redis', redisRestarted, false],
    ['redis-stop', stoppedWhileRedisDown, true],
    ['disk', diskFills, true],
    ['slot', crashBetweenSlotAndEnqueue, true],
  ];
  for (const [name, scenario, quick] of scenarios) {
    if (only ? !only.includes(name) : !quick && ctx.profile !== 'full') {
      if (!only) recorder.report.skipped.push(`${name}: full profile only`);
      continue;
    }
    ctx.log(`${name}...`);
    await scenario(recorder);
  }
  return recorder.report;
};

async function sidecarKilled(recorder: Recorder): Promise<void> {
  const redis = await freshRedis();
  const suite = await startSuiteApi('fault-sidecar', { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '4' });
  try {
    const png = await discPng();
    await recorder.check(
      'sidecar SIGKILLed mid-job: the task ends, the sidecar returns, the queue moves on',
      suite.api,
      async () => {
        const before = (await health(suite.api.url)).inference?.pid;
        assert.ok(before, 'the sidecar pid is in /api/health');
        const first = await submit(suite, recorder, png);
        const second = await submit(suite, recorder, png);
        await waitFor('the job to run', async () =>
          (await statusOf(suite.api.url, first))['status'] === 'processing' ? true : undefined,
        );
        await sleep(500);
        process.kill(before, 'SIGKILL');
        const ends = await recorder.settle(suite.api, suite, 90_000);
        const end = ends.get(first);
        assert.ok(
          end?.status === 'completed' ||
            (end?.http_status === 500 &&
              end.error === ErrorMessage.internal &&
              end.error_code === 'internal_error'),
          `first task ${JSON.stringify(end)}`,
        );
        assert.equal(ends.get(second)?.status, 'completed', 'the next task completes');
        const after = await waitFor('a ready sidecar', async () => {
          const h = await health(suite.api.url);
          return h.inference?.state === 'ready' ? h.inference.pid : undefined;
        });
        assert.notEqual(after, before);
        return `first task ${end?.status}, sidecar ${before} -> ${after}`;
      },
    );
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    redis.disconnect();
    await suite.stop();
  }
}

async function engineStalls(recorder: Recorder): Promise<void> {
  const redis = await freshRedis();
  const suite = await startSuiteApi('fault-stall', {
    INFERENCE_ENGINE: 'simulate',
    // The hang starts at the geometry stage (30 % of the job, 0.6 s): past it the engine ignores cancelling.
    SIMULATE_SECONDS: '2',
    KILN_SIMULATE_FAULT: 'hang',
    JOB_TIMEOUT_S: '3',
  });
  try {
    await recorder.check(
      'engine stalls past JOB_TIMEOUT_S: 504 Generation timeout, a fresh sidecar',
      suite.api,
      async () => {
        const before = (await health(suite.api.url)).inference?.pid;
        const id = await submit(suite, recorder, await discPng());
        const end = (await recorder.settle(suite.api, suite, 60_000)).get(id);
        assert.deepEqual(
          [end?.status, end?.http_status, end?.error, end?.error_code],
          ['failed', 504, ErrorMessage.timeout, 'generation_timeout'],
        );
        const after = await waitFor(
          'a fresh ready sidecar',
          async () => {
            const h = await health(suite.api.url);
            return h.inference?.state === 'ready' && h.inference.pid !== before ? h.inference.pid : undefined;
          },
          60_000,
        );
        return `sidecar ${before} -> ${after}`;
      },
    );
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    redis.disconnect();
    await suite.stop();
  }
}

async function apiKilledWithWaiting(recorder: Recorder): Promise<void> {
  const redis = await freshRedis();
  const suite = await startSuiteApi('fault-api', { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '3' });
  try {
    await recorder.check(
      'api SIGKILLed with tasks waiting: each completes once after a start; SSE clients resume',
      () => suite.api,
      async () => {
        const png = await discPng();
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) ids.push(await submit(suite, recorder, png));
        const streams = ids.map((id) => readSse(`${suite.api.url}/api/status/${id}`, { timeoutMs: 120_000 }));
        await sleep(1000);
        await suite.api.kill();
        const cut = await Promise.all(streams);
        await suite.restart({}, false);
        const resumed = await Promise.all(
          ids.map((id, i) =>
            readSse(`${suite.api.url}/api/status/${id}`, {
              lastEventId: cut[i].events.at(-1)?.id ?? 0,
              timeoutMs: 120_000,
            }),
          ),
        );
        for (const [i, read] of resumed.entries()) {
          assert.ok(read.endedByServer, `stream ${i} ended`);
          const terminal = [...cut[i].events, ...read.events].filter(
            (e) => e.event === 'completed' || e.event === 'failed',
          );
          assert.equal(
            terminal.length,
            1,
            `task ${i}: one terminal event, got ${terminal.map((e) => e.event).join(',')}`,
          );
          assert.equal(terminal[0].event, 'completed', `task ${i} ${JSON.stringify(terminal[0].data)}`);
        }
        return undefined;
      },
    );
    await recorder.settle(suite.api, suite, 60_000);
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    redis.disconnect();
    await suite.stop();
  }
}

/**
 * Runs `body` with a private redis-server (own port, own folder) and a suite api on it (`env` on
 * top of the redis URL); afterwards the api is stopped, its folders checked for stray files, and
 * the server and folders removed, whatever `body` did.
 */
async function onPrivateRedis(
  recorder: Recorder,
  name: string,
  env: Record<string, string>,
  body: (suite: SuiteApi, redis: PrivateRedis) => Promise<void>,
): Promise<void> {
  const dir = tempDir(`rel-${name}`);
  const redis = await startPrivateRedis(dir.path);
  const suite = await startSuiteApi(`fault-${name}`, { ...env, REDIS_URL: redis.url });
  try {
    await body(suite, redis);
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    await suite.stop();
    await redis.stop();
    dir.remove();
  }
}

/** Until the api's /api/health answers `status`; resolves true. */
const healthAnswers = (suite: SuiteApi, status: number, timeoutMs: number): Promise<boolean> =>
  waitFor(
    `health to answer ${status}`,
    async () => ((await fetch(`${suite.api.url}/api/health`)).status === status ? true : undefined),
    timeoutMs,
  );

async function redisRestarted(recorder: Recorder): Promise<void> {
  const env = { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '3' };
  await onPrivateRedis(recorder, 'redis', env, async (suite, redis) => {
    await recorder.check(
      'Redis restarted with work in flight: reported, recovered, no admitted task lost',
      suite.api,
      async () => {
        const png = await discPng();
        for (let i = 0; i < 3; i++) await submit(suite, recorder, png);
        await sleep(1000);
        await redis.stop();
        const reported = await healthAnswers(suite, 503, 20_000);
        await redis.start();
        await healthAnswers(suite, 200, 60_000);
        const ends = await recorder.settle(suite.api, suite, 120_000);
        const notDone = [...ends].filter(([, e]) => e.status !== 'completed');
        // A task whose job was interrupted may end failed 500 (the contract's restart rules); none is lost.
        for (const [, e] of notDone) assert.equal(e.http_status, 500, JSON.stringify(e));
        return `reported down: ${reported}; ${ends.size - notDone.length} of ${ends.size} completed`;
      },
    );
  });
}

/**
 * The api is stopped (SIGTERM) while Redis is down and a job runs: it stops cleanly within its
 * grace (Bull's own shutdown path used to end it with code 1, an unhandled "Connection is
 * closed."); once Redis and the api are back, the interrupted task completes (Bull's stalled check).
 */
async function stoppedWhileRedisDown(recorder: Recorder): Promise<void> {
  const env = { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '4' };
  await onPrivateRedis(recorder, 'redis-stop', env, async (suite, redis) => {
    await recorder.check(
      'the api stopped while Redis is down, a job running: a clean stop, the task completes later',
      () => suite.api,
      async () => {
        const id = await submit(suite, recorder, await discPng());
        await waitFor(
          'the job to start',
          async () => ((await statusOf(suite.api.url, id)).status === 'processing' ? true : undefined),
          30_000,
        );
        await redis.stop();
        await healthAnswers(suite, 503, 20_000);
        const api = suite.api;
        await api.stop(30_000);
        // Nest re-raises the signal once its shutdown hooks are done: SIGTERM is the clean end.
        assert.equal(
          api.child.exitCode,
          null,
          `exit code ${api.child.exitCode}:\n${api.output().slice(-2000)}`,
        );
        assert.equal(api.child.signalCode, 'SIGTERM', 'ended by its own shutdown, not SIGKILLed after 30 s');
        assert.doesNotMatch(api.output(), /Connection is closed\.\n\s+at /, 'no unhandled rejection');
        await redis.start();
        await suite.restart();
        const end = (await recorder.settle(suite.api, suite, 90_000)).get(id);
        assert.equal(end?.status, 'completed', JSON.stringify(end));
        return 'stopped by its SIGTERM; the task completed after the restart';
      },
    );
  });
}

/** Free bytes left on the small model store while the GLB is written: less than any model. */
const DISK_LEFT_BYTES = 16 * 1024;

/**
 * The model store fills while the GLB is written: STATIC_DIR on a 4 MiB tmpfs (mount needs root;
 * without it the case is skipped with its reason), filled to DISK_LEFT_BYTES. The task fails
 * cleanly (500 Internal error), no partial model is served or left behind, and once there is
 * room again the next task completes.
 */
async function diskFills(recorder: Recorder): Promise<void> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    recorder.report.skipped.push(
      'disk fills: mounting a tmpfs needs root (run the suite as root to include it)',
    );
    return;
  }
  const mount = tempDir('rel-disk');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount.path]);
  } catch (error) {
    recorder.report.skipped.push(`disk fills: mount -t tmpfs refused (${String(error).split('\n')[0]})`);
    mount.remove();
    return;
  }
  const redis = await freshRedis();
  const filler = join(mount.path, 'filler.bin');
  let suite: SuiteApi | undefined;
  try {
    suite = await startSuiteApi('fault-disk', { STATIC_DIR: mount.path });
    suite.staticDir = mount.path;
    const store = suite;
    const free = Number(execFileSync('df', ['--output=avail', '-B1', mount.path]).toString().split('\n')[1]);
    writeFileSync(filler, Buffer.alloc(Math.max(0, free - DISK_LEFT_BYTES)));
    await recorder.check(
      'disk fills while the GLB is written: the task fails cleanly, nothing partial served',
      store.api,
      async () => {
        const id = await submit(store, recorder, await discPng());
        const end = (await recorder.settle(store.api, store, 60_000)).get(id);
        assert.deepEqual(
          [end?.status, end?.http_status, end?.error, end?.error_code],
          ['failed', 500, ErrorMessage.internal, 'internal_error'],
        );
        // A failed task names no model (its files are named by a model id it never shows): the store's
        // listing below is what proves nothing partial is served.
        const left = readdirSync(mount.path).filter((f) => f !== 'filler.bin' && f !== FOLDER_MARKER);
        assert.deepEqual(left, [], 'nothing partial left in the store');
        rmSync(filler);
        const next = await submit(store, recorder, await discPng());
        const nextEnd = (await recorder.settle(store.api, store, 60_000)).get(next);
        assert.equal(nextEnd?.status, 'completed', 'with room again the next task completes');
      },
    );
    await store.api.stop();
    recorder.checkFiles(store);
    recorder.report.strayFiles = recorder.report.strayFiles.filter((f) => f !== 'static/filler.bin');
  } finally {
    redis.disconnect();
    await suite?.stop();
    execFileSync('umount', [mount.path]);
    mount.remove();
  }
}

/**
 * A crash between taking a queue slot and enqueueing: every slot held by a task id that was never
 * stored (reserved more than the 60 s grace ago, as a dead api leaves them). The next api's boot
 * reconcile gives them back, so an upload is admitted instead of 503 for 48 h.
 */
async function crashBetweenSlotAndEnqueue(recorder: Recorder): Promise<void> {
  const redis = await freshRedis();
  const longAgo = Date.now() - 5 * 60_000;
  for (let i = 0; i < 6; i++)
    await redis.zadd(RedisKeys.admission, longAgo, `00000000-0000-4000-8000-00000000000${i}`);
  const suite = await startSuiteApi('fault-slot', { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '1' });
  try {
    await recorder.check(
      'crash between slot and enqueue: leaked slots given back at the next start',
      suite.api,
      async () => {
        const id = await submit(suite, recorder, await discPng());
        const end = (await recorder.settle(suite.api, suite, 60_000)).get(id);
        assert.equal(end?.status, 'completed');
        assert.equal(await redis.zcard(RedisKeys.admission), 0, 'no slot held');
      },
    );
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    redis.disconnect();
    await suite.stop();
  }
}
