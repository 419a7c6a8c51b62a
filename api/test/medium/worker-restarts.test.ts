/**
 * Medium test (real Redis, each "process" its own RedisService connections): a worker's sidecar
 * restart asked through Redis (ops/worker-restart). The asker (WorkerRestarts) relays to the
 * worker's listener (WorkerRestartListener), which restarts through the real InferenceAdminService
 * over a counted repository: accepted and refused answers are relayed, an unknown id is 404, a
 * worker that starts listening during the wait is asked again and answers, one that never listens
 * or does not take the request in time is 504 and restarts nothing, even when the request reaches
 * it later.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ApiError } from '../../src/common/api-error';
import { loadConfig } from '../../src/config/app-config';
import { InferenceAdminService } from '../../src/inference/admin/inference-admin.service';
import type { InferenceHealth, InferenceRepository } from '../../src/inference/inference.repository';
import { WorkerRestartListener } from '../../src/ops/worker-restart/worker-restart-listener.service';
import { WorkerRestarts } from '../../src/ops/worker-restart/worker-restarts.service';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisService } from '../../src/redis/redis.service';
import type { NodeReport, WorkerRegistry } from '../../src/tasks/workers/worker-registry.service';
import { TEST_REDIS_URL, clearKilnKeys, sleep } from '../support/env';

const TIMINGS = { answerTimeoutMs: 400, answerGraceMs: 300 };

/** A live process's heartbeat as WorkerRegistry.nodes() lists it; `worker` false: api-only. */
function node(id: string, worker = true): NodeReport {
  return {
    id,
    role: worker ? 'worker' : 'api',
    host: `host-${id}`,
    pid: 1000 + id.length,
    store: 'folder:x',
    started_at: '2026-01-01T00:00:00.000Z',
    seen_at: '2026-01-01T00:00:00.000Z',
    worker: worker
      ? { state: 'idle', task_id: null, engine: 'inflate', device: 'cpu', gpu: null, sidecar_pid: 7 }
      : null,
  };
}

/** The real InferenceAdminService over a repository whose health is `health` and whose restarts are counted. */
function admin(health: Partial<InferenceHealth>): { service: InferenceAdminService; restarts: boolean[] } {
  const restarts: boolean[] = [];
  const repo = {
    health: () => Promise.resolve({ state: 'ready', managed: true, pid: 7, ...health } as InferenceHealth),
    restart: ({ force }: { force: boolean }) => {
      restarts.push(force);
      return Promise.resolve();
    },
  } as unknown as InferenceRepository;
  return { service: new InferenceAdminService(repo), restarts };
}

const rejectsWith = (status: number, code: string) => (error: unknown) =>
  error instanceof ApiError && error.status === status && error.code === code;

void describe('a worker sidecar restart through Redis', () => {
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL }, '/tmp');
  const services: RedisService[] = [];
  const redisService = (): RedisService => {
    const service = new RedisService(config);
    services.push(service);
    return service;
  };
  const raw = new Redis(TEST_REDIS_URL);
  const nodes = [
    node('w-ready'),
    node('w-busy'),
    node('w-remote'),
    node('w-silent'),
    node('w-stuck'),
    node('api', false),
    node('w-starting'),
  ];
  const registry = { nodes: () => Promise.resolve(nodes) } as unknown as WorkerRegistry;
  let asker: WorkerRestarts;
  const workers: Record<string, { restarts: boolean[]; listener: WorkerRestartListener }> = {};

  /** A listening worker with id `id`, subscribed before it returns. */
  const startWorker = async (id: string, health: Partial<InferenceHealth>): Promise<void> => {
    const redis = redisService();
    const { service, restarts } = admin(health);
    const listener = new WorkerRestartListener(redis, { id } as unknown as WorkerRegistry, service);
    listener.onApplicationBootstrap();
    await redis.subscribed(RedisKeys.workerRestartChannel(id));
    workers[id] = { restarts, listener };
  };

  before(async () => {
    await clearKilnKeys();
    asker = new WorkerRestarts(redisService(), registry, TIMINGS);
    await startWorker('w-ready', {});
    await startWorker('w-busy', { state: 'busy', pid: 8 });
    await startWorker('w-remote', { managed: false });
  });
  after(async () => {
    asker.onModuleDestroy();
    for (const { listener } of Object.values(workers)) listener.onModuleDestroy();
    await Promise.all(services.map((s) => s.onApplicationShutdown()));
    raw.disconnect();
    await clearKilnKeys();
  });

  void it("relays the worker's own answer: forced now; graceful on a busy sidecar waits for its job", async () => {
    const now = await asker.restartOne('w-ready', true, '192.0.2.1');
    assert.deepEqual(now, {
      success: true,
      force: true,
      previous_pid: 7,
      waits_for_job: false,
      message: 'Restart started',
      worker_id: 'w-ready',
      host: 'host-w-ready',
      pid: node('w-ready').pid,
    });
    assert.deepEqual(workers['w-ready'].restarts, [true]);
    const later = await asker.restartOne('w-busy', false, '192.0.2.1');
    assert.deepEqual(
      [later.force, later.previous_pid, later.waits_for_job, later.message],
      [false, 8, true, 'Restart will start when the running job ends'],
    );
    assert.deepEqual(workers['w-busy'].restarts, [false]);
    assert.deepEqual(await raw.keys(`${RedisKeys.prefix}worker-restart-claim:*`), [], 'every claim taken');
  });

  void it("relays the worker's refusal (its sidecar is INFERENCE_URL's): 409 sidecar_not_managed", async () => {
    await assert.rejects(asker.restartOne('w-remote', false, 'op'), rejectsWith(409, 'sidecar_not_managed'));
    assert.deepEqual(workers['w-remote'].restarts, []);
  });

  void it('an id no live worker has (an api-only process included) is 404 worker_not_found, asked of no one', async () => {
    for (const id of ['no-such-worker', 'api']) {
      await assert.rejects(asker.restartOne(id, false, 'op'), rejectsWith(404, 'worker_not_found'));
    }
  });

  void it('a listed worker that never listens: 504 worker_no_answer after the wait, and the claim withdrawn', async () => {
    const started = Date.now();
    await assert.rejects(asker.restartOne('w-silent', true, 'op'), rejectsWith(504, 'worker_no_answer'));
    const waited = Date.now() - started;
    assert.ok(waited >= TIMINGS.answerTimeoutMs - 150, `asked again through the wait (${waited} ms)`);
    assert.ok(
      waited < TIMINGS.answerTimeoutMs + TIMINGS.answerGraceMs,
      `no longer than the wait (${waited} ms)`,
    );
    assert.deepEqual(await raw.keys(`${RedisKeys.prefix}worker-restart-claim:*`), []);
  });

  void it('a worker listed before its subscription is confirmed (it is starting) is asked again, and answers', async () => {
    // WorkerRegistry lists a process from its first heartbeat (onModuleInit); its listener
    // subscribes later (onApplicationBootstrap): a request in between once found nobody, 504.
    const asked = asker.restartOne('w-starting', false, 'op');
    await sleep(TIMINGS.answerTimeoutMs / 2);
    await startWorker('w-starting', {});
    const answer = await asked;
    assert.equal(answer.message, 'Restart started');
    assert.deepEqual(workers['w-starting'].restarts, [false], 'restarted once');
  });

  void it('a worker that hears but does not take it in time: 504 after the wait, and when it gets to it, nothing restarts', async () => {
    // A stuck worker: its connection hears the request, its code does not run until later.
    const heard: string[] = [];
    const stuckRedis = redisService();
    stuckRedis.listen(RedisKeys.workerRestartChannel('w-stuck'), (text) => heard.push(text));
    await stuckRedis.subscribed(RedisKeys.workerRestartChannel('w-stuck'));
    const started = Date.now();
    await assert.rejects(asker.restartOne('w-stuck', true, 'op'), rejectsWith(504, 'worker_no_answer'));
    assert.ok(Date.now() - started >= TIMINGS.answerTimeoutMs, 'waited for the answer');
    assert.equal(heard.length, 1);
    // It wakes up and handles the request it heard: withdrawn, so its sidecar is left alone.
    const { service, restarts } = admin({});
    const late = new WorkerRestartListener(
      stuckRedis,
      { id: 'w-stuck' } as unknown as WorkerRegistry,
      service,
    );
    await late.handle(heard[0]);
    assert.deepEqual(restarts, [], 'a withdrawn request restarts nothing');
  });

  void it('every worker at once: each outcome as its own route would answer', async () => {
    const all = await asker.restartAll(false, 'op');
    assert.equal(all.force, false);
    const byId = Object.fromEntries(
      all.workers.map((w) => [w.worker_id, [w.status, w.code, w.waits_for_job]]),
    );
    assert.deepEqual(byId, {
      'w-ready': [202, null, false],
      'w-busy': [202, null, true],
      'w-remote': [409, 'sidecar_not_managed', false],
      'w-silent': [504, 'worker_no_answer', false],
      'w-stuck': [504, 'worker_no_answer', false],
      'w-starting': [202, null, false],
    });
    assert.equal(all.accepted, 3);
    assert.equal(
      all.workers.find((w) => w.worker_id === 'w-silent')?.message,
      'The worker did not answer in time',
    );
  });

  void it('a malformed request on a worker channel is dropped', async () => {
    const before = workers['w-ready'].restarts.length;
    for (const text of ['not json', '{}', '{"request_id":"x","force":"yes","by":"op"}']) {
      await workers['w-ready'].listener.handle(text);
    }
    await sleep(50);
    assert.equal(workers['w-ready'].restarts.length, before);
  });
});
