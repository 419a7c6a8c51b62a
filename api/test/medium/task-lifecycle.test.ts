import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisService } from '../../src/redis/redis.service';
import { StorageService } from '../../src/storage/storage.service';
import { AdmissionService } from '../../src/tasks/admission/admission.service';
import { TaskEventsService } from '../../src/tasks/events/task-events.service';
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { type TaskEvent, reduceTask, transitionOf } from '../../src/tasks/lifecycle/task-transitions';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { type TaskRecord, type TaskStatus, modelIdOf } from '../../src/tasks/state/task-snapshot';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { useTasksModule } from '../support/tasks-module';
import { waitFor } from '../support/env';

/** One event of each kind, as the runner, the routes and the processors send them. */
const EVENTS: Record<TaskEvent['type'], TaskEvent> = {
  start: { type: 'start' },
  complete: {
    type: 'complete',
    modelPath: '/static/m.glb',
    downloadPath: '/static/m.source.glb',
    generationTime: 12.345,
    engine: 'inflate',
    triangles: 1000,
    ignoredOptions: ['quality'],
  },
  fail: {
    type: 'fail',
    failure: { code: 'generation_timeout', httpStatus: 504, message: 'Generation timeout', cancelled: false },
  },
  cancel: { type: 'cancel' },
  requeue: { type: 'requeue' },
  abandon: { type: 'abandon' },
};

/** How each status is reached through the lifecycle itself (from a created, queued task). */
const REACH: Record<TaskStatus, TaskEvent[]> = {
  queued: [],
  processing: [EVENTS.start],
  completed: [EVENTS.start, EVENTS.complete],
  failed: [EVENTS.cancel],
};

/**
 * The expected verdict of every event from every status: the whole table, written out once more by
 * hand so that a change to task-transitions.ts that is not meant shows up here.
 */
const EXPECTED: Record<TaskEvent['type'], Partial<Record<TaskStatus, TaskStatus>>> = {
  start: { queued: 'processing', processing: 'processing' },
  complete: { processing: 'completed', queued: 'completed' },
  fail: { processing: 'failed' },
  cancel: { queued: 'failed', processing: 'failed' },
  requeue: { processing: 'queued' },
  abandon: { queued: 'failed', processing: 'failed' },
};

/**
 * Every task transition (tasks/lifecycle) on the real Redis and Bull queue, with the real store,
 * admission, positions and model folder: for each status and event, whether the change is made,
 * the record it leaves (the same as the pure reduceTask's), its event, and its effects on the slot,
 * the queued picture, the model files and the waiting tasks' positions. No worker runs: the jobs
 * stay in Bull where the lifecycle put them.
 */
void describe('task lifecycle: every event from every status (real Redis, real Bull)', () => {
  let lifecycle: TaskLifecycle;
  let tasks: TaskStore;
  let admission: AdmissionService;
  let storage: StorageService;
  let events: TaskEventsService;
  let bull: Queue;
  let redis: RedisService;

  useTasksModule('lifecycle', (moduleRef) => {
    lifecycle = moduleRef.get(TaskLifecycle);
    tasks = moduleRef.get(TaskStore);
    admission = moduleRef.get(AdmissionService);
    storage = moduleRef.get(StorageService);
    events = moduleRef.get(TaskEventsService);
    bull = moduleRef.get<Queue>(getQueueToken(GENERATION_QUEUE));
    redis = moduleRef.get(RedisService);
  });

  /** A created task (slot held, picture stored, job added) brought to `status`, with a model file on disk. */
  async function taskIn(status: TaskStatus): Promise<string> {
    const id = await lifecycle.admit('client-a');
    await lifecycle.create(id, Buffer.from('png'));
    if (status !== 'queued') {
      // As Bull does before a worker runs it: the job leaves the wait list for the active one, locked.
      await (await bull.getJob(id))?.remove();
      await redis.client.lpush(bull.toKey('active'), id);
      await redis.client.set(`${bull.toKey('')}${id}:lock`, 'a live worker');
    }
    for (const event of REACH[status]) assert.ok((await lifecycle.apply(id, event)).applied);
    if (status === 'completed' || status === 'failed') {
      await redis.client.del(bull.toKey('active'), `${bull.toKey('')}${id}:lock`);
    }
    writeFileSync(await modelFile(id), 'glb');
    return id;
  }

  /** The local source model file of a task: named by its model id (issue 19), never by its task id. */
  async function modelFile(id: string): Promise<string> {
    const record = (await tasks.get(id))?.record;
    assert.ok(record);
    return storage.sourcePath(modelIdOf(record));
  }

  /** A second task waiting behind, whose position shows whether the positions were refreshed. */
  async function waiting(): Promise<string> {
    const id = await lifecycle.admit('client-b');
    await lifecycle.create(id, Buffer.from('png'));
    return id;
  }

  for (const status of ['queued', 'processing', 'completed', 'failed'] as const) {
    for (const type of Object.keys(EVENTS) as TaskEvent['type'][]) {
      const expected = EXPECTED[type][status];
      const name = expected ? `${status} --${type}--> ${expected}` : `${status} refuses ${type}`;
      void it(name, async () => {
        const id = await taskIn(status);
        const behind = await waiting();
        await lifecycle.refreshPositions();
        const before = (await tasks.get(id)) as { seq: number; record: TaskRecord };
        const seen: number[] = [];
        const unsubscribe = events.subscribe(id, (event) => seen.push(event.seq));
        const row = transitionOf(EVENTS[type], Date.now());
        // Make the waiting task's figures stale so that a refresh shows.
        await tasks.update(behind, { position: 99 }, ['queued']);

        const outcome = await lifecycle.apply(id, EVENTS[type]);
        const after = (await tasks.get(id)) as { seq: number; record: TaskRecord };

        assert.equal(outcome.applied, expected !== undefined);
        assert.equal(outcome.status, expected ?? status);
        assert.equal(after.record.status, expected ?? status);
        if (expected === undefined) {
          assert.equal(outcome.seq, 0);
          assert.deepEqual(after, before, 'a refused event changes nothing');
        } else {
          assert.equal(outcome.seq, before.seq + 1);
          // The Lua store and the pure reducer agree on the record (timestamps aside).
          const predicted = reduceTask(before.record, EVENTS[type], Date.now()) as TaskRecord;
          const { updated_at: _a, started_at: _b, finished_at: _c, ...got } = after.record;
          const { updated_at: _d, started_at: _e, finished_at: _f, ...want } = predicted;
          assert.deepEqual(got, want);
          if (expected === 'completed' || expected === 'failed') {
            // A finished task names no place in line (a completed snapshot once kept "position 1").
            assert.equal(after.record.position ?? null, null, 'position');
            assert.equal(after.record.eta_s ?? null, null, 'eta_s');
          }
          await waitFor('its event', () => Promise.resolve(seen.includes(outcome.seq) ? true : undefined));
        }
        unsubscribe();

        const applied = expected !== undefined;
        const finishedBefore = status === 'completed' || status === 'failed';
        const slotHeld = (await redis.client.zscore(RedisKeys.admission, id)) !== null;
        assert.equal(slotHeld, !finishedBefore && !(applied && row.effects.releaseSlot), 'slot');
        const imageKept = (await tasks.getImage(id)) !== null;
        assert.equal(imageKept, !finishedBefore && !(applied && row.effects.dropImage), 'picture');
        const modelsRemoved = applied
          ? row.effects.removeModels
          : row.effects.removeModelsIfRefused && status !== 'completed';
        assert.equal(existsSync(await modelFile(id)), !modelsRemoved, 'model files');
        const refreshed = applied && row.effects.refreshPositions;
        if (refreshed) {
          await waitFor('the positions refreshed', async () =>
            (await tasks.get(behind))?.record.position !== 99 ? true : undefined,
          );
        } else {
          assert.equal((await tasks.get(behind))?.record.position, 99, 'no refresh');
        }
      });
    }
  }

  void it("cancel: only with the task token (403 without, or with another task's); a waiting task loses its Bull job; then 409; unknown 404", async () => {
    const mine = await lifecycle.admit('client-a');
    const { token } = await lifecycle.create(mine, Buffer.from('png'));
    const other = await lifecycle.admit('client-b');
    const { token: otherToken } = await lifecycle.create(other, Buffer.from('png'));
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(token, otherToken);
    for (const wrong of [undefined, '', otherToken, token.slice(0, -1), `${token}x`]) {
      await assert.rejects(lifecycle.cancel(mine, wrong), (error: Error & { status?: number }) => {
        assert.deepEqual([error.status, error.message], [403, 'Task token missing or wrong']);
        return true;
      });
    }
    assert.equal((await tasks.get(mine))?.record.status, 'queued', 'refused: nothing changed');
    assert.ok(await bull.getJob(mine));
    const state = await lifecycle.cancel(mine, token);
    assert.deepEqual(
      [state.record.status, state.record.http_status, state.record.cancelled],
      ['failed', 409, true],
    );
    assert.equal(await bull.getJob(mine), null);
    await assert.rejects(lifecycle.cancel(mine, token), /Task already finished/);
    await assert.rejects(
      lifecycle.cancel(mine, undefined),
      /Task token missing or wrong/,
      'the token before the state',
    );
    await assert.rejects(lifecycle.cancel('00000000-0000-4000-8000-000000000000', token), /Task not found/);
    const json = JSON.stringify(await tasks.get(mine));
    assert.ok(!json.includes(token), 'the snapshot never carries the token');
  });

  void it('reuse: a task completed at birth gives its slot back at once', async () => {
    const id = await lifecycle.admit('client-a');
    const now = new Date().toISOString();
    const { token } = await lifecycle.reuse({
      task_id: id,
      status: 'completed',
      created_at: now,
      updated_at: now,
    });
    assert.equal(await admission.held(), 0);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, 'a task of its own, with its own token');
    assert.equal((await tasks.get(id))?.record.status, 'completed');
  });

  void it('model ids: each task gets a random one of its own; a task stored before them has its files (named by its id) removed all the same', async () => {
    const [a, b] = [await taskIn('processing'), await taskIn('processing')];
    const [ma, mb] = await Promise.all([a, b].map(async (id) => (await tasks.get(id))?.record.model_id));
    assert.match(String(ma), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(ma !== mb && ma !== a && mb !== b, 'random, not the task id');
    // An old-style record: no model_id, its files named by its task id.
    const key = RedisKeys.task(b);
    const { model_id: _m, ...old } = JSON.parse(
      String(await redis.client.hget(key, 'snapshot')),
    ) as TaskRecord;
    await redis.client.hset(key, 'snapshot', JSON.stringify(old));
    writeFileSync(storage.sourcePath(b), 'glb');
    for (const id of [a, b]) assert.ok((await lifecycle.apply(id, EVENTS.fail)).applied);
    assert.deepEqual(
      [existsSync(storage.sourcePath(String(ma))), existsSync(storage.sourcePath(b))],
      [false, false],
    );
  });

  void it('release: a slot no task was made of goes back', async () => {
    const id = await lifecycle.admit('client-a');
    assert.equal(await admission.held(), 1);
    await lifecycle.release(id);
    assert.equal(await admission.held(), 0);
  });
});
