import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiError } from '../../src/common/api-error';
import { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import { AdmissionService, RESERVATION_GRACE_MS } from '../../src/tasks/admission/admission.service';
import { TaskEventsService } from '../../src/tasks/events/task-events.service';
import type { DurationEstimates } from '../../src/tasks/options/job-durations';
import { JobDurationsService } from '../../src/tasks/options/job-durations.service';
import type { TaskEvent } from '../../src/tasks/events/task-event';
import { BACK_IN_QUEUE } from '../../src/tasks/lifecycle/task-transitions';
import type { TaskPatch, TaskStatus } from '../../src/tasks/state/task-snapshot';
import { TASK_TTL_S, TaskStore } from '../../src/tasks/state/task-store.service';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisService } from '../../src/redis/redis.service';
import { TEST_REDIS_URL, clearKilnKeys, waitFor } from '../support/env';

/** Stand in for Bull's lists and job keys (cleared with every other project key). */
const BULL = {
  wait: `${RedisKeys.prefix}test:wait`,
  active: `${RedisKeys.prefix}test:active`,
  jobPrefix: `${RedisKeys.prefix}test:job:`,
};
const WAIT_LIST = BULL.wait;
/** A task token's hash (lifecycle/task-token.ts): these tests never present the token. */
const HASH = 'a'.repeat(64);

class ManualClock extends Clock {
  t = Date.UTC(2026, 10, 27, 12);
  override now(): number {
    return this.t;
  }
}

/** Two "api processes": separate Redis connections, same database. */
void describe('task state and admission on real Redis', () => {
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, MAX_QUEUE: '5' }, '/tmp');
  const clock = new ManualClock();
  let redisA: RedisService;
  let redisB: RedisService;
  let storeA: TaskStore;
  let admissionA: AdmissionService;
  let admissionB: AdmissionService;
  let events: TaskEventsService;

  before(async () => {
    await clearKilnKeys();
    redisA = new RedisService(config);
    redisB = new RedisService(config);
    storeA = new TaskStore(redisA, clock, config);
    admissionA = new AdmissionService(redisA, clock, config, new JobDurationsService(redisA, config));
    admissionB = new AdmissionService(redisB, clock, config, new JobDurationsService(redisB, config));
    events = new TaskEventsService(redisB, new TaskStore(redisB, clock, config));
    events.onModuleInit();
  });
  beforeEach(() => clearKilnKeys());

  /** A change as the store applies it (TaskStore.transition, no slot or picture effect); its event id. */
  async function change(
    id: string,
    patch: TaskPatch,
    from: readonly TaskStatus[] = ['queued', 'processing'],
  ): Promise<number> {
    return (await storeA.transition(id, from, patch, { releaseSlot: false, dropImage: false })).seq;
  }
  after(async () => {
    events.onModuleDestroy();
    await redisA.onApplicationShutdown();
    await redisB.onApplicationShutdown();
    await clearKilnKeys();
  });

  void it('admits exactly MAX_QUEUE + 1 of 40 simultaneous requests from two processes', async () => {
    const ids = Array.from(
      { length: 40 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const results = await Promise.all(ids.map((id, i) => (i % 2 ? admissionA : admissionB).reserve(id)));
    assert.equal(results.filter((r) => r === 'admitted').length, 6);
    assert.equal(await admissionA.held(), 6);
    // Releasing one admits exactly one more.
    const admitted = ids.filter((_, i) => results[i] === 'admitted');
    await admissionB.release(admitted[0]);
    const second = await Promise.all(ids.slice(0, 10).map((id) => admissionA.reserve(`${id}-again`)));
    assert.equal(second.filter((r) => r === 'admitted').length, 1);
  });

  void it('reserving the same id twice counts once', async () => {
    assert.equal(await admissionA.reserve('same'), 'admitted');
    assert.equal(await admissionB.reserve('same'), 'admitted');
    assert.equal(await admissionA.held(), 1);
  });

  void it('gives event ids 1, 2, 3... and publishes each change to every process', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    const seen: TaskEvent[] = [];
    const unsubscribe = events.subscribe(id, (e) => seen.push(e));
    const created = await storeA.create(id, Buffer.from('png'), HASH);
    assert.equal(created.seq, 1);
    assert.equal(await change(id, { position: 2, eta_s: 60 }), 2);
    assert.equal(await change(id, { position: 2, eta_s: 60 }), 0, 'no change, no event');
    assert.equal(await change(id, { status: 'processing', progress: 0, position: null, eta_s: null }), 3);
    await waitFor('two events', () => Promise.resolve(seen.length === 2 ? true : undefined), 5000);
    unsubscribe();
    assert.deepEqual(
      seen.map((e) => [e.seq, e.record.status, e.record.position]),
      [
        [2, 'queued', 2],
        [3, 'processing', undefined],
      ],
    );
    const state = await storeA.get(id);
    assert.equal(state?.seq, 3);
    assert.equal(state?.record.progress, 0);
    assert.equal('position' in (state?.record ?? {}), false, 'null removes a field');
    const ttl = await redisA.client.ttl(RedisKeys.task(id));
    assert.ok(ttl > TASK_TTL_S - 10 && ttl <= TASK_TTL_S, `ttl ${ttl}`);
    assert.equal((await storeA.getImage(id))?.toString(), 'png');
  });

  void it('a finished task never changes again; a change releases its slot and picture only when told', async () => {
    const id = '22222222-2222-4222-8222-222222222222';
    assert.equal(await admissionA.reserve(id, 'client-a'), 'admitted');
    await storeA.create(id, Buffer.from('x'), HASH);
    const keep = { releaseSlot: false, dropImage: false };
    assert.deepEqual(await storeA.transition(id, ['queued'], { status: 'processing' }, keep), {
      seq: 2,
      status: 'processing',
    });
    assert.equal(await admissionA.held(), 1, 'no release asked');
    assert.equal((await storeA.getImage(id))?.toString(), 'x', 'no drop asked');
    const failed = { status: 'failed' as const, error: 'Task cancelled', http_status: 409 };
    assert.deepEqual(
      await storeA.transition(id, ['queued'], failed, { releaseSlot: true, dropImage: true }),
      {
        seq: 0,
        status: 'processing',
      },
    );
    assert.equal(await admissionA.held(), 1, 'a refused change releases nothing');
    assert.deepEqual(
      await storeA.transition(id, ['processing'], failed, { releaseSlot: true, dropImage: true }),
      {
        seq: 3,
        status: 'failed',
      },
    );
    assert.equal(await admissionA.held(), 0);
    assert.equal(await admissionA.heldBy('client-a'), 0);
    assert.deepEqual(
      await redisA.client.hgetall(RedisKeys.admissionClients),
      {},
      'its client entry goes too',
    );
    assert.equal(await storeA.getImage(id), null);
    assert.equal(await change(id, { status: 'completed', progress: 100 }), 0);
    assert.equal((await storeA.get(id))?.record.status, 'failed');
    assert.deepEqual(await storeA.transition('no-such-task', ['queued'], { progress: 1 }, keep), {
      seq: -1,
      status: undefined,
    });
  });

  void it('a completed task lives as long as its model (RETENTION_HOURS under 48 h); an unfinished or failed one 48 h', async () => {
    const store = new TaskStore(redisA, clock, { retentionHours: 2 });
    const keep = { releaseSlot: false, dropImage: false };
    const ttl = (taskId: string): Promise<number> => redisA.client.ttl(RedisKeys.task(taskId));
    const [done, failed] = ['44444444-4444-4444-8444-000000000001', '44444444-4444-4444-8444-000000000002'];
    for (const id of [done, failed]) {
      await store.create(id, Buffer.from('x'), HASH);
      assert.ok((await ttl(id)) > 47 * 3600, 'a queued task: 48 h');
      await store.transition(id, ['queued'], { status: 'processing' }, keep);
      assert.ok((await ttl(id)) > 47 * 3600, 'a running task: 48 h');
      // Its voxel preview, saved while it runs, with the unfinished task's 48 h (PreviewStore).
      await redisA.client.hset(RedisKeys.preview(id), 'rev', 1);
      await redisA.client.expire(RedisKeys.preview(id), TASK_TTL_S);
    }
    await store.transition(done, ['processing'], { status: 'completed', progress: 100 }, keep);
    const left = await ttl(done);
    assert.ok(left > 0 && left <= 2 * 3600, `a completed task: its model's 2 h (${left} s)`);
    const previewLeft = await redisA.client.ttl(RedisKeys.preview(done));
    assert.ok(previewLeft > 0 && previewLeft <= 2 * 3600, `its preview goes with it (${previewLeft} s)`);
    await store.transition(failed, ['processing'], { status: 'failed', error: 'Internal error' }, keep);
    assert.ok((await ttl(failed)) > 47 * 3600, 'a failed task has no model: 48 h');
    assert.ok(
      (await redisA.client.ttl(RedisKeys.preview(failed))) > 47 * 3600,
      "a failed task's preview: 48 h",
    );
    const repeat = '44444444-4444-4444-8444-000000000003';
    const now = new Date(clock.now()).toISOString();
    await store.createFinished(
      { task_id: repeat, status: 'completed', created_at: now, updated_at: now, model_id: 'm' },
      HASH,
    );
    const repeatLeft = await ttl(repeat);
    assert.ok(
      repeatLeft > 0 && repeatLeft <= 2 * 3600,
      `an instant repeat, completed from the start: 2 h (${repeatLeft} s)`,
    );
    // The default retention (48 h) keeps the 48 h of every task.
    const four = '44444444-4444-4444-8444-000000000004';
    await storeA.create(four, Buffer.from('x'), HASH);
    await storeA.transition(four, ['queued'], { status: 'completed', progress: 100 }, keep);
    assert.ok((await ttl(four)) > 47 * 3600);
  });

  void it("keeps a painted model's own size by its model id, as long as its files can live, until forgotten", async () => {
    const store = new TaskStore(redisA, clock, { retentionHours: 2 });
    const painting = '55555555-5555-4555-8555-000000000001';
    const ownSize = { units: 'mm' as const, extent: [20, 40, 15] as [number, number, number] };
    const options = { seed: 42, texture_size: 2048, texture_resolution: 1024, units: 'mm' as const };
    const { record } = await store.create(
      painting,
      Buffer.from('x'),
      HASH,
      options,
      [],
      Buffer.from('glb'),
      ownSize,
    );
    const modelId = record.model_id!;
    assert.deepEqual(await store.ownSizeOf(modelId), ownSize);
    // Its job within the task's 48 h, then its files' RETENTION_HOURS: never before them.
    const ttl = await redisA.client.ttl(RedisKeys.modelOwnSize(modelId));
    assert.ok(ttl > TASK_TTL_S + 3600 && ttl <= TASK_TTL_S + 2 * 3600, `${ttl} s`);
    // A generation's model has none; nor has a record that is not one (a generated model's formats then).
    const generated = (await store.create('55555555-5555-4555-8555-000000000002', Buffer.from('x'), HASH))
      .record;
    assert.equal(await store.ownSizeOf(generated.model_id!), undefined);
    for (const garbage of [
      'not json',
      '{"units":"ft","extent":[1,2,3]}',
      '{"units":"mm","extent":[1,"2",3]}',
    ]) {
      await redisA.client.set(RedisKeys.modelOwnSize('garbage'), garbage);
      assert.equal(await store.ownSizeOf('garbage'), undefined, garbage);
    }
    await store.forgetOwnSizes([modelId]);
    assert.equal(await store.ownSizeOf(modelId), undefined);
  });

  void it('honours the allowed-status guard', async () => {
    const id = '33333333-3333-4333-8333-333333333333';
    await storeA.create(id, Buffer.from('x'), HASH);
    assert.equal(await change(id, { progress: 5 }, ['processing']), 0);
    assert.ok((await change(id, { status: 'processing' }, ['queued'])) > 0);
  });

  /** The same expected seconds for every quality, for any job and for texturing. */
  const flat = (seconds: number): DurationEstimates => ({
    byQuality: { fast: seconds, balanced: seconds, high: seconds },
    any: seconds,
    texture: seconds,
  });

  void it('publishes FIFO positions and ETAs from the wait list (rightmost runs next)', async () => {
    const ids = ['a', 'b', 'c'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
    for (const id of ids) await storeA.create(id, Buffer.from('x'), HASH);
    // Bull LPUSHes new jobs: ids[0] came first, so it is rightmost.
    await redisA.client.lpush(WAIT_LIST, ...ids);
    assert.equal(await storeA.refreshPositions(BULL, flat(15), BACK_IN_QUEUE), 3);
    const records = await Promise.all(ids.map((id) => storeA.get(id)));
    assert.deepEqual(
      records.map((s) => [s?.record.position, s?.record.eta_s]),
      [
        [1, 15],
        [2, 30],
        [3, 45],
      ],
    );
    assert.equal(
      await storeA.refreshPositions(BULL, flat(15), BACK_IN_QUEUE),
      0,
      'unchanged positions publish nothing',
    );
  });

  void it('ETAs in whole seconds, rounded', async () => {
    const ids = ['d', 'e'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
    for (const id of ids) await storeA.create(id, Buffer.from('x'), HASH);
    await redisA.client.lpush(WAIT_LIST, ...ids);
    assert.equal(await storeA.refreshPositions(BULL, flat(12.4), BACK_IN_QUEUE), 2);
    const records = await Promise.all(ids.map((id) => storeA.get(id)));
    assert.deepEqual(
      records.map((s) => [s?.record.position, s?.record.eta_s]),
      [
        [1, 12],
        [2, 25],
      ],
    );
  });

  void it('counts the running job and each task ahead by its own quality (a task without options: any job)', async () => {
    const options = (quality: string) => ({ quality, seed: 42, texture_size: 2048, faces: 500_000 });
    const [running, fast, high, old, balanced] = ['0', '1', '2', '3', '4'].map(
      (c) => `${c.repeat(8)}-0000-4000-8000-000000000000`,
    );
    await storeA.create(running, Buffer.from('x'), HASH, options('high'));
    await change(running, { status: 'processing', progress: 10, stage: 'structure' });
    await redisA.client.lpush(BULL.active, running);
    await redisA.client.set(`${BULL.jobPrefix}${running}:lock`, 'token-of-a-live-worker');
    await storeA.create(fast, Buffer.from('x'), HASH, options('fast'));
    await storeA.create(high, Buffer.from('x'), HASH, options('high'));
    await storeA.create(old, Buffer.from('x'), HASH);
    await storeA.create(balanced, Buffer.from('x'), HASH, options('balanced'));
    await redisA.client.lpush(WAIT_LIST, fast, high, old, balanced);
    const estimates: DurationEstimates = {
      byQuality: { fast: 20, balanced: 50, high: 150 },
      any: 60,
      texture: 400,
    };
    assert.equal(await storeA.refreshPositions(BULL, estimates, BACK_IN_QUEUE), 4);
    const records = await Promise.all([fast, high, old, balanced].map((id) => storeA.get(id)));
    assert.deepEqual(
      records.map((s) => [s?.record.position, s?.record.eta_s]),
      [
        [1, 150],
        [2, 170],
        [3, 320],
        [4, 380],
      ],
    );
    await redisA.client.del(`${BULL.jobPrefix}${running}:lock`, BULL.active);
    assert.equal(
      await storeA.refreshPositions(BULL, estimates, BACK_IN_QUEUE),
      4,
      'no running job: any job ahead',
    );
    const moved = await Promise.all([fast, high].map(async (id) => (await storeA.get(id))?.record.eta_s));
    assert.deepEqual(moved, [60, 80]);
  });

  void it('counts a texturing task ahead (running or waiting) as a texturing job, whatever its options', async () => {
    const [painting, waitingPaint, after] = ['9', 'a1', 'b2'].map(
      (c) => `${c.padEnd(8, c[0])}-0000-4000-8000-000000000000`,
    );
    const textureOptions = { seed: 42, texture_size: 2048, texture_resolution: 1024 };
    await storeA.create(painting, Buffer.from('x'), HASH, textureOptions, [], Buffer.from('mesh'));
    await change(painting, { status: 'processing', progress: 10, stage: 'texture' });
    await redisA.client.lpush(BULL.active, painting);
    await redisA.client.set(`${BULL.jobPrefix}${painting}:lock`, 'token-of-a-live-worker');
    await storeA.create(waitingPaint, Buffer.from('x'), HASH, textureOptions, [], Buffer.from('mesh'));
    await storeA.create(after, Buffer.from('x'), HASH, {
      quality: 'fast',
      seed: 1,
      texture_size: 2048,
      faces: 500_000,
    });
    await redisA.client.lpush(WAIT_LIST, waitingPaint, after);
    const estimates: DurationEstimates = {
      byQuality: { fast: 1, balanced: 1, high: 1 },
      any: 1,
      texture: 30,
    };
    assert.equal(await storeA.refreshPositions(BULL, estimates, BACK_IN_QUEUE), 2);
    const records = await Promise.all([waitingPaint, after].map((id) => storeA.get(id)));
    assert.deepEqual(
      records.map((s) => [s?.record.position, s?.record.eta_s]),
      [
        [1, 30],
        [2, 60],
      ],
    );
    await redisA.client.del(`${BULL.jobPrefix}${painting}:lock`, BULL.active, WAIT_LIST);
  });

  void it('shares the work ahead among the live workers', async () => {
    const ids = ['5', '6', '7', '8'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
    const [runningA, runningB, ...waiting] = ids;
    for (const id of ids) await storeA.create(id, Buffer.from('x'), HASH);
    for (const id of [runningA, runningB]) {
      await change(id, { status: 'processing', progress: 10, stage: 'structure' });
      await redisA.client.lpush(BULL.active, id);
      await redisA.client.set(`${BULL.jobPrefix}${id}:lock`, 'token-of-a-live-worker');
    }
    await redisA.client.lpush(WAIT_LIST, ...waiting);
    // Two live workers and one whose heartbeat lapsed.
    await redisA.client.zadd(
      RedisKeys.workersAlive,
      clock.t + 5000,
      'w1',
      clock.t + 5000,
      'w2',
      clock.t - 1,
      'w3',
    );
    assert.equal(await storeA.refreshPositions(BULL, flat(40), BACK_IN_QUEUE), 2);
    const etas = await Promise.all(waiting.map(async (id) => (await storeA.get(id))?.record.eta_s));
    assert.deepEqual(etas, [40, 60], '(2 running + the tasks ahead) x 40 s / 2 workers');
  });

  void it('a processing task whose job lost its lock reads queued, first; one whose lock is held stays processing', async () => {
    const [crashed, live, waiting] = ['f', '1', '2'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
    for (const id of [crashed, live, waiting]) await storeA.create(id, Buffer.from('x'), HASH);
    for (const id of [crashed, live])
      await change(id, { status: 'processing', progress: 40, stage: 'shape', started_at: 'x' });
    await redisA.client.lpush(BULL.active, crashed, live);
    await redisA.client.set(`${BULL.jobPrefix}${live}:lock`, 'token-of-a-live-worker');
    await redisA.client.lpush(BULL.wait, waiting);
    assert.equal(await storeA.refreshPositions(BULL, flat(10), BACK_IN_QUEUE), 2);
    const [c, l, w] = await Promise.all([crashed, live, waiting].map((id) => storeA.get(id)));
    assert.deepEqual(
      [c?.record.status, c?.record.position, c?.record.eta_s, c?.record.progress, c?.record.stage],
      ['queued', 1, 10, undefined, undefined],
    );
    assert.equal(c?.record.started_at, undefined);
    assert.deepEqual([l?.record.status, l?.record.progress], ['processing', 40]);
    assert.deepEqual([w?.record.status, w?.record.position], ['queued', 2]);
  });

  void it('reconcile drops slots of finished or vanished tasks after the grace period only', async () => {
    const live = '44444444-4444-4444-8444-444444444444';
    const leaked = '55555555-5555-4555-8555-555555555555';
    await admissionA.reserve(live);
    await storeA.create(live, Buffer.from('x'), HASH);
    await redisA.client.set(`${BULL.jobPrefix}${live}`, 'its job');
    await admissionA.reserve(leaked);
    assert.deepEqual(
      await admissionA.reconcile(BULL.jobPrefix),
      { dropped: 0, orphaned: [] },
      'within the grace',
    );
    clock.t += RESERVATION_GRACE_MS + 1;
    assert.deepEqual(await admissionA.reconcile(BULL.jobPrefix), { dropped: 1, orphaned: [] });
    assert.equal(await admissionA.held(), 1);
  });

  void it('reconcile names a queued task with no Bull job once unchanged for the grace period', async () => {
    const orphan = '66666666-6666-4666-8666-666666666666';
    const requeued = '77777777-7777-4777-8777-777777777777';
    const running = '88888888-8888-4888-8888-888888888888';
    for (const id of [orphan, requeued, running]) {
      await admissionA.reserve(id);
      await storeA.create(id, Buffer.from('x'), HASH);
    }
    await redisA.client.set(`${BULL.jobPrefix}${running}`, 'its job');
    await change(running, { status: 'processing' });
    clock.t += RESERVATION_GRACE_MS + 1;
    // A shutdown just put this one back to queued (its job removed, the re-add under way).
    await change(requeued, { status: 'processing' });
    await change(requeued, { status: 'queued' });
    const [a, b] = await Promise.all([
      admissionA.reconcile(BULL.jobPrefix),
      admissionB.reconcile(BULL.jobPrefix),
    ]);
    assert.deepEqual(a, { dropped: 0, orphaned: [orphan] });
    assert.deepEqual(b, { dropped: 0, orphaned: [orphan] });
    clock.t += RESERVATION_GRACE_MS + 1;
    const later = await admissionA.reconcile(BULL.jobPrefix);
    assert.deepEqual([...later.orphaned].sort(), [orphan, requeued].sort());
    assert.equal(await admissionA.held(), 3, 'an orphan keeps its slot until it runs');
  });
});

/** ACTIVE_TASKS_PER_CLIENT: one client's share of the queue, judged in the admission script. */
void describe('per-client active-task limit on real Redis (two processes)', () => {
  const config = loadConfig(
    { REDIS_URL: TEST_REDIS_URL, MAX_QUEUE: '5', ACTIVE_TASKS_PER_CLIENT: '2' },
    '/tmp',
  );
  const clock = new ManualClock();
  let redisA: RedisService;
  let redisB: RedisService;
  let storeA: TaskStore;
  let admissionA: AdmissionService;
  let admissionB: AdmissionService;
  const id = (n: number): string => `33333333-3333-4333-8333-${String(n).padStart(12, '0')}`;

  before(async () => {
    await clearKilnKeys();
    redisA = new RedisService(config);
    redisB = new RedisService(config);
    storeA = new TaskStore(redisA, clock, config);
    admissionA = new AdmissionService(redisA, clock, config, new JobDurationsService(redisA, config));
    admissionB = new AdmissionService(redisB, clock, config, new JobDurationsService(redisB, config));
  });
  beforeEach(() => clearKilnKeys());

  after(async () => {
    await redisA.onApplicationShutdown();
    await redisB.onApplicationShutdown();
    await clearKilnKeys();
  });

  void it('admits exactly the limit of 20 simultaneous requests from one client, and others still get in', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? admissionA : admissionB).reserve(id(i), '198.51.100.1')),
    );
    assert.equal(results.filter((r) => r === 'admitted').length, 2);
    assert.equal(results.filter((r) => r === 'client-limit').length, 18);
    assert.equal(await admissionA.heldBy('198.51.100.1'), 2);
    assert.equal(await admissionB.reserve(id(100), '198.51.100.2'), 'admitted');
    assert.equal(
      await admissionA.reserve(id(101)),
      'admitted',
      'a slot taken without a client is not counted',
    );
  });

  void it('a full queue is 503 for everyone, before any client share (429)', async () => {
    for (let i = 0; i < 6; i++) assert.equal(await admissionA.reserve(id(i), `10.0.0.${i}`), 'admitted');
    assert.equal(await admissionA.reserve(id(10), '10.0.0.0'), 'full');
    assert.equal(await admissionA.reserve(id(11), '10.0.0.99'), 'full');
    await assert.rejects(admissionB.admit('10.0.0.0'), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.deepEqual([error.status, error.message], [503, 'Server busy, retry later']);
      return true;
    });
  });

  void it("admit() answers 429 with Retry-After; the task's end, a release and a reconcile drop each free the share", async () => {
    await admissionA.reserve(id(1), 'c');
    await admissionA.reserve(id(2), 'c');
    await assert.rejects(admissionB.admit('c'), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.deepEqual(
        [error.status, error.message],
        [429, 'Too many unfinished tasks from this client, retry when one ends'],
      );
      assert.match(error.headers['Retry-After'] ?? '', /^[1-9]\d*$/);
      return true;
    });
    // The task's end (TaskLifecycle has the store release its slot with the change) frees one place.
    await storeA.create(id(1), Buffer.from('x'), HASH);
    await storeA.transition(
      id(1),
      ['queued'],
      { status: 'failed', error: 'Task cancelled', http_status: 409 },
      { releaseSlot: true, dropImage: true },
    );
    assert.equal(await admissionB.heldBy('c'), 1);
    const third = await admissionB.admit('c');
    await assert.rejects(admissionA.admit('c'), /Too many unfinished tasks/);
    // A refused upload gives its slot back.
    await admissionA.release(third);
    assert.equal(await admissionA.reserve(id(4), 'c'), 'admitted');
    // A leaked slot (no task stored) dropped by the reconcile frees its place too.
    clock.t += RESERVATION_GRACE_MS + 1;
    const { dropped } = await admissionA.reconcile(BULL.jobPrefix);
    assert.equal(dropped, 2, 'id(2) and id(4) never stored a task');
    assert.equal(await admissionA.heldBy('c'), 0);
    assert.equal(await admissionA.reserve(id(5), 'c'), 'admitted');
    assert.deepEqual(
      Object.keys(await redisA.client.hgetall(RedisKeys.admissionClients)),
      [id(5)],
      'gone slots are pruned',
    );
  });
});
