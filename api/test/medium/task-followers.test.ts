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
import { RunningJobsService } from '../../src/tasks/jobs/running-jobs.service';
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { type TaskEvent, reduceTask, transitionOf } from '../../src/tasks/lifecycle/task-transitions';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { PreviewStore } from '../../src/tasks/state/preview-store.service';
import { type TaskRecord, type TaskStatus, modelIdOf } from '../../src/tasks/state/task-snapshot';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { useTasksModule } from '../support/tasks-module';
import { sleep, waitFor } from '../support/env';

/** Every job event (all but `cancel`, which is one task's), as the runner and the processors send them. */
const JOB_EVENTS: Record<Exclude<TaskEvent['type'], 'cancel'>, TaskEvent> = {
  start: { type: 'start' },
  complete: {
    type: 'complete',
    modelPath: '/static/m.glb',
    downloadPath: '/static/m.source.glb',
    generationTime: 12.345,
    engine: 'inflate',
    triangles: 1000,
    ignoredOptions: [],
  },
  fail: {
    type: 'fail',
    failure: { code: 'generation_timeout', httpStatus: 504, message: 'Generation timeout', cancelled: false },
  },
  requeue: { type: 'requeue' },
  abandon: { type: 'abandon' },
};

/** The job statuses each job event is accepted from, and where it leads (task-transitions.ts). */
const ACCEPTED: Record<keyof typeof JOB_EVENTS, Partial<Record<TaskStatus, TaskStatus>>> = {
  start: { queued: 'processing', processing: 'processing' },
  complete: { processing: 'completed' },
  fail: { processing: 'failed' },
  requeue: { processing: 'queued' },
  abandon: { queued: 'failed', processing: 'failed' },
};

/** Fields each task has of its own; everything else of a follower is its job's. */
const OWN = ['task_id', 'created_at', 'updated_at', 'started_at', 'finished_at'] as const;

function shared(record: TaskRecord): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  for (const key of OWN) delete copy[key];
  return copy;
}

/**
 * Shared jobs (docs/design.md, Instant repeats) on the real Redis and Bull queue, with the real
 * store, admission and model folder: every job event with zero, one and two tasks following the
 * job (each task changed the same way, each with its own event id and publish; the slot, picture
 * and files the job's), progress and previews reaching every follower, and `cancel` failing one
 * task only until the last one following the job leaves, which stops the job (Bull job removed or
 * aborted, slot released, picture and files removed). No worker runs.
 */
void describe('shared jobs: followers of an unfinished job (real Redis, real Bull)', () => {
  let lifecycle: TaskLifecycle;
  let tasks: TaskStore;
  let admission: AdmissionService;
  let storage: StorageService;
  let events: TaskEventsService;
  let previews: PreviewStore;
  let running: RunningJobsService;
  let bull: Queue;
  let redis: RedisService;
  /** The first tasks' tokens (as their 202s handed them out). */
  const tokens = new Map<string, string>();

  useTasksModule('followers', (moduleRef) => {
    lifecycle = moduleRef.get(TaskLifecycle);
    tasks = moduleRef.get(TaskStore);
    admission = moduleRef.get(AdmissionService);
    storage = moduleRef.get(StorageService);
    events = moduleRef.get(TaskEventsService);
    previews = moduleRef.get(PreviewStore);
    running = moduleRef.get(RunningJobsService);
    bull = moduleRef.get<Queue>(getQueueToken(GENERATION_QUEUE));
    redis = moduleRef.get(RedisService);
  });

  /** A job (its first task created: slot, picture, Bull job, repeat keys) in `status`, with its model file on disk. */
  async function jobIn(status: 'queued' | 'processing', taken = status === 'processing'): Promise<string> {
    const id = await lifecycle.admit('maker');
    const { token } = await lifecycle.create(id, Buffer.from('png'), undefined, [`key-${id}`]);
    tokens.set(id, token);
    if (taken) {
      // As Bull does before a worker runs it: the job leaves the wait list for the active one, locked.
      await (await bull.getJob(id))?.remove();
      await redis.client.lpush(bull.toKey('active'), id);
      await redis.client.set(`${bull.toKey('')}${id}:lock`, 'a live worker');
    }
    if (status === 'processing') assert.ok((await lifecycle.apply(id, JOB_EVENTS.start)).applied);
    writeFileSync(storage.sourcePath(await modelIdOfTask(id)), 'glb');
    return id;
  }

  async function modelIdOfTask(id: string): Promise<string> {
    const record = (await tasks.get(id))?.record;
    assert.ok(record);
    return modelIdOf(record);
  }

  /** `n` repeats following job `jobId`, each admitted first as the intake does; returns their ids. */
  async function followers(jobId: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = await lifecycle.admit(`repeater-${i}`);
      const made = await lifecycle.follow(id, jobId);
      assert.ok(made, 'an unfinished job is followed');
      assert.match(made.token, /^[A-Za-z0-9_-]{43}$/);
      ids.push(id);
    }
    return ids;
  }

  for (const count of [0, 1, 2]) {
    void it(`follow: ${count} repeat(s) of a waiting job -> tasks of their own with its figures, no slot, no Bull job; nothing names the job's task`, async () => {
      const jobId = await jobIn('queued');
      await lifecycle.refreshPositions();
      const ids = await followers(jobId, count);
      const job = (await tasks.get(jobId))?.record as TaskRecord;
      assert.equal(job.position, 1);
      for (const id of ids) {
        const state = await tasks.get(id);
        assert.ok(state);
        assert.equal(state.seq, 1);
        assert.equal(state.record.task_id, id);
        assert.deepEqual(shared(state.record), shared(job), 'the job figures, model id and options');
        assert.ok(!JSON.stringify(state).includes(jobId), "the snapshot never names the job's task");
        assert.equal(await bull.getJob(id), null, 'no job of its own');
      }
      assert.equal(await admission.held(), 1, "the job's slot only");
    });
  }

  for (const count of [0, 1, 2]) {
    for (const type of Object.keys(JOB_EVENTS) as (keyof typeof JOB_EVENTS)[]) {
      for (const status of ['queued', 'processing'] as const) {
        const expected = ACCEPTED[type][status];
        if (expected === undefined) continue;
        void it(`${count} follower(s): job ${status} --${type}--> ${expected} for every task, each with its own event`, async () => {
          // A start comes from a worker that took the job (else the refresh puts it back in the queue).
          const jobId = await jobIn(status, status === 'processing' || type === 'start');
          const ids = [jobId, ...(await followers(jobId, count))];
          const before = new Map<string, { seq: number; record: TaskRecord }>();
          const seen = new Map<string, number[]>();
          const unsubscribes = [];
          for (const id of ids) {
            before.set(id, (await tasks.get(id)) as { seq: number; record: TaskRecord });
            const mine: number[] = [];
            seen.set(id, mine);
            unsubscribes.push(events.subscribe(id, (event) => mine.push(event.seq)));
          }
          // A start of a running job within the millisecond of its first start would change
          // nothing (the same started_at) and be no event at all.
          await sleep(5);
          const row = transitionOf(JOB_EVENTS[type], Date.now());

          const outcome = await lifecycle.apply(jobId, JOB_EVENTS[type]);

          assert.equal(outcome.applied, true);
          assert.equal(outcome.status, expected);
          for (const id of ids) {
            const was = before.get(id) as { seq: number; record: TaskRecord };
            const now = (await tasks.get(id)) as { seq: number; record: TaskRecord };
            assert.equal(now.record.status, expected, id === jobId ? 'the first task' : 'a follower');
            assert.equal(now.seq, was.seq + 1, 'one event each');
            const predicted = reduceTask(was.record, JOB_EVENTS[type], Date.now()) as TaskRecord;
            assert.deepEqual(shared(now.record), shared(predicted), 'the same change as the reducer');
            assert.equal(now.record.task_id, id);
            await waitFor(`the event of ${id}`, () =>
              Promise.resolve(seen.get(id)?.includes(now.seq) ? true : undefined),
            );
          }
          for (const unsubscribe of unsubscribes) unsubscribe();
          // The job's effects, once: its slot, its picture, its files (followers have none of their own).
          const slotHeld = (await redis.client.zscore(RedisKeys.admission, jobId)) !== null;
          assert.equal(slotHeld, !row.effects.releaseSlot, 'slot');
          assert.equal(await admission.held(), row.effects.releaseSlot ? 0 : 1, 'no follower holds a slot');
          assert.equal((await tasks.getImage(jobId)) !== null, !row.effects.dropImage, 'picture');
          const modelFile = storage.sourcePath(await modelIdOfTask(jobId));
          assert.equal(existsSync(modelFile), !row.effects.removeModels, 'model files');
          const liveKey = await redis.client.get(RedisKeys.repeatLive(`key-${jobId}`));
          assert.equal(
            liveKey,
            row.effects.releaseSlot ? null : jobId,
            'a repeat finds the job while it is unfinished',
          );
          if (type === 'complete') {
            assert.equal(
              await redis.client.get(RedisKeys.repeat(`key-${jobId}`)),
              jobId,
              'the key names a completed task',
            );
          }
        });
      }
    }
  }

  void it("a follower of a running job starts with its own creation, not the job's earlier start (which would tell that someone sent the picture first)", async () => {
    const jobId = await jobIn('processing');
    await sleep(20);
    const [id] = await followers(jobId, 1);
    const job = (await tasks.get(jobId))?.record as TaskRecord;
    const follower = (await tasks.get(id))?.record as TaskRecord;
    assert.equal(follower.status, 'processing');
    assert.ok(job.started_at !== undefined && job.started_at < follower.created_at, 'the job started before');
    assert.equal(follower.started_at, follower.created_at);
  });

  void it('progress, stage and previews of a running job reach each follower as its own event; the preview route of a follower serves the job preview', async () => {
    const jobId = await jobIn('processing');
    const ids = [jobId, ...(await followers(jobId, 2))];
    const seqs = await Promise.all(ids.map(async (id) => (await tasks.get(id))?.seq ?? 0));
    assert.ok((await tasks.update(jobId, { progress: 42, stage: 'geometry' }, ['processing'])) > 0);
    const preview = await previews.save(jobId, {
      stage: 'structure',
      resolution: 64,
      count: 2,
      coords: Buffer.from([1, 2, 3, 4, 5, 6]),
    });
    assert.ok((await tasks.update(jobId, { preview }, ['processing'])) > 0);
    for (const [i, id] of ids.entries()) {
      const state = await tasks.get(id);
      assert.deepEqual(
        [state?.seq, state?.record.progress, state?.record.stage, state?.record.preview],
        [seqs[i] + 2, 42, 'geometry', preview],
      );
      const served = await previews.require(id);
      assert.deepEqual([...served.coords], [1, 2, 3, 4, 5, 6]);
    }
  });

  for (const count of [0, 1, 2]) {
    for (const status of ['queued', 'processing'] as const) {
      for (const order of ['first task first', 'first task last'] as const) {
        if (count === 0 && order === 'first task last') continue;
        void it(`cancel, ${status} job with ${count} follower(s), ${order}: each cancel fails its own task only; the last one stops the job`, async () => {
          const jobId = await jobIn(status);
          const made = new Map<string, string>();
          const ids = [jobId];
          for (let i = 0; i < count; i++) {
            const id = await lifecycle.admit(`repeater-${i}`);
            const followed = await lifecycle.follow(id, jobId);
            assert.ok(followed);
            made.set(id, followed.token);
            ids.push(id);
          }
          made.set(jobId, tokens.get(jobId) as string);
          const signal = status === 'processing' ? running.start(jobId) : undefined;
          const modelFile = storage.sourcePath(await modelIdOfTask(jobId));
          const sequence = order === 'first task first' ? ids : [...ids.slice(1), jobId];
          for (const [i, id] of sequence.entries()) {
            const last = i === sequence.length - 1;
            const state = await lifecycle.cancel(id, made.get(id));
            assert.deepEqual(
              [state.record.status, state.record.http_status, state.record.error_code],
              ['failed', 409, 'task_cancelled'],
            );
            for (const other of sequence.slice(i + 1)) {
              assert.equal((await tasks.get(other))?.record.status, status, 'the others follow on');
            }
            const slotHeld = (await redis.client.zscore(RedisKeys.admission, jobId)) !== null;
            assert.equal(slotHeld, !last, 'the slot goes with the last');
            assert.equal((await tasks.getImage(jobId)) !== null, !last, 'the picture goes with the last');
            assert.equal(existsSync(modelFile), !last, 'the files go with the last');
            if (status === 'queued') {
              assert.equal((await bull.getJob(jobId)) !== null, !last, 'the waiting job goes with the last');
            } else if (!last) {
              assert.equal(signal?.aborted, false, 'the running job runs on');
            }
          }
          if (signal)
            await waitFor('the running job aborted', () => Promise.resolve(signal.aborted || undefined));
          running.end(jobId);
          assert.equal(
            await redis.client.exists(RedisKeys.job(jobId), RedisKeys.repeatLive(`key-${jobId}`)),
            0,
          );
          // A job event after its end reaches nobody.
          assert.equal((await lifecycle.apply(jobId, JOB_EVENTS.start)).applied, false);
        });
      }
    }
  }

  void it('the first task cancelled, a follower on: the job keeps its slot through a reconcile, completes for the follower, and its repeat key names the follower', async () => {
    const jobId = await jobIn('processing');
    const [follower] = await followers(jobId, 1);
    await lifecycle.cancel(jobId, tokens.get(jobId));
    // Admitted long ago, as a reconcile after the grace period sees it.
    await redis.client.zadd(RedisKeys.admission, 1, jobId);
    await lifecycle.reconcile();
    assert.notEqual(await redis.client.zscore(RedisKeys.admission, jobId), null, 'kept: a task follows it');
    assert.equal((await tasks.jobState(jobId))?.record.task_id, follower);
    const done = await lifecycle.apply(jobId, JOB_EVENTS.complete);
    assert.deepEqual([done.applied, done.status], [true, 'completed']);
    assert.equal((await tasks.get(follower))?.record.status, 'completed');
    assert.equal((await tasks.get(jobId))?.record.status, 'failed', 'the cancelled task stays cancelled');
    assert.equal(await redis.client.get(RedisKeys.repeat(`key-${jobId}`)), follower);
    assert.equal(await admission.held(), 0);
  });

  void it('follow refuses a finished job (the slot stays for a job of its own) and a job that is gone', async () => {
    const jobId = await jobIn('processing');
    await lifecycle.apply(jobId, JOB_EVENTS.complete);
    const id = await lifecycle.admit('repeater');
    assert.equal(await lifecycle.follow(id, jobId), undefined);
    assert.equal(await lifecycle.follow(id, '00000000-0000-4000-8000-000000000000'), undefined);
    assert.equal(await tasks.get(id), undefined, 'nothing stored');
    assert.notEqual(await redis.client.zscore(RedisKeys.admission, id), null, 'its slot kept');
  });
});
