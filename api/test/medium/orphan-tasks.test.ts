import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Bull from 'bull';
import { loadConfig } from '../../src/config/app-config';
import { Clock } from '../../src/common/clock';
import { RedisKeys } from '../../src/redis/redis-keys';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { QueuePositionsService } from '../../src/tasks/lifecycle/queue-positions.service';
import { TaskQueueService } from '../../src/tasks/queue/task-queue.service';
import { RecentFailures } from '../../src/tasks/lifecycle/recent-failures';
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { RepeatRegistry } from '../../src/tasks/repeats/repeat-registry';
import { StorageService } from '../../src/storage/storage.service';
import { StoreDiskSpace } from '../../src/storage/store-disk-space';
import { RunningJobsService } from '../../src/tasks/jobs/running-jobs.service';
import { RedisMemory } from '../../src/redis/redis-memory';
import { WorkerRegistry } from '../../src/tasks/workers/worker-registry.service';
import { TEST_REDIS_URL, sleep, tempDir, waitFor } from '../support/env';
import { FakeInference, heldJob, succeed } from '../support/fake-inference';
import { useTasksHarness } from '../support/tasks-harness';

/** The grace of this suite's reconcile (production: RESERVATION_GRACE_MS, 60 s). */
const GRACE_MS = 400;
/** A status change with no slot or picture effect (a state only a crash leaves behind). */
const KEEP = { releaseSlot: false, dropImage: false };

/**
 * A task left `queued` with no Bull job (issue 11, fault 9(iii), and a SIGKILL inside a graceful
 * stop) on real Redis and Bull: the crash is simulated by writing the task state and its slot
 * without its job, as the dead process left them; the reconcile then enqueues it again.
 */
void describe('orphaned queued tasks (real Redis + Bull, fake inference)', () => {
  const dir = tempDir('orphans');
  const config = loadConfig(
    { REDIS_URL: TEST_REDIS_URL, MAX_QUEUE: '3', STATIC_DIR: dir.path, INFERENCE_ENGINE: 'simulate' },
    '/tmp',
  );
  const fake = new FakeInference();
  const h = useTasksHarness(config, fake, GRACE_MS);
  after(() => dir.remove());

  /** What a process that died after `tasks.create` and before `queue.add` left behind. */
  const storedWithoutJob = async (): Promise<string> => {
    const id = await h.admission.admit();
    await h.tasks.create(id, Buffer.from('png bytes'), 'a'.repeat(64));
    return id;
  };

  void it('a task stored without its job (crash inside enqueue) runs once after the grace', async () => {
    const id = await storedWithoutJob();
    assert.deepEqual(
      await h.lifecycle.reconcile(),
      [],
      'within the grace: an enqueue may still be under way',
    );
    assert.equal(await h.bull.getJob(id), null);
    await sleep(GRACE_MS + 100);
    // Two api processes reconciling at once: one job.
    const [a, b] = await Promise.all([h.lifecycle.reconcile(), h.lifecycle.reconcile()]);
    assert.deepEqual([a, b], [[id], [id]]);
    const record = await h.finalOf(id);
    assert.equal(record.status, 'completed');
    assert.deepEqual(fake.calls, [id], 'run exactly once');
    await waitFor('the slot to be released', async () =>
      (await h.admission.held()) === 0 ? true : undefined,
    );
    assert.equal(await h.tasks.getImage(id), null, 'its image is dropped once done');
    assert.deepEqual(await h.lifecycle.reconcile(), [], 'nothing left to reconcile');
  });

  void it('a task put back to queued whose job was never re-added (crash in a graceful stop) runs next', async () => {
    const hold = heldJob();
    fake.behaviour = hold.behaviour;
    const running = await h.admission.admit();
    await h.create(running, Buffer.from('png bytes'));
    await hold.started;
    fake.behaviour = (job, onProgress) => succeed(job, onProgress);
    // Interrupted by a shutdown: TaskRunner put it back to queued, Bull removed its job, the
    // process was killed before the re-add.
    const interrupted = await storedWithoutJob();
    await h.tasks.transition(interrupted, ['queued'], { status: 'processing', progress: 40 }, KEEP);
    await sleep(GRACE_MS + 100);
    await h.tasks.transition(interrupted, ['processing'], { status: 'queued', progress: null }, KEEP);
    const waiting = await h.admission.admit();
    await h.create(waiting, Buffer.from('png bytes'));
    assert.deepEqual(await h.lifecycle.reconcile(), [], 'the grace counts from its return to queued');
    await sleep(GRACE_MS + 100);
    assert.deepEqual(await h.lifecycle.reconcile(), [interrupted]);
    const positions = await Promise.all(
      [interrupted, waiting].map(async (id) => (await h.tasks.get(id))?.record.position),
    );
    assert.deepEqual(positions, [1, 2], 'it goes to the head of the queue');
    hold.release();
    for (const id of [running, interrupted, waiting]) assert.equal((await h.finalOf(id)).status, 'completed');
    assert.deepEqual(fake.calls, [running, interrupted, waiting]);
    await waitFor('the slots to be released', async () =>
      (await h.admission.held()) === 0 ? true : undefined,
    );
  });

  void it('an enqueue whose job cannot be added fails its stored task and gives its slot back', async () => {
    // Bull's connection lost: the same queue, closed, so that add() rejects.
    const closed = new Bull(GENERATION_QUEUE, { redis: TEST_REDIS_URL, prefix: RedisKeys.bullPrefix });
    await closed.close();
    const broken = new TaskLifecycle(
      h.admission,
      h.tasks,
      new TaskQueueService(closed, h.admission),
      h.moduleRef.get(QueuePositionsService),
      h.moduleRef.get(RunningJobsService),
      h.moduleRef.get(StorageService),
      h.moduleRef.get(Clock),
      h.moduleRef.get(RepeatRegistry),
      h.moduleRef.get(RecentFailures),
      h.moduleRef.get(WorkerRegistry),
      h.moduleRef.get(RedisMemory),
      h.moduleRef.get(StoreDiskSpace),
    );
    const id = await h.admission.admit();
    await assert.rejects(broken.create(id, Buffer.from('png bytes')));
    const record = (await h.tasks.get(id))?.record;
    assert.deepEqual([record?.status, record?.http_status, record?.error], ['failed', 500, 'Internal error']);
    assert.equal(await h.tasks.getImage(id), null);
    assert.equal(await h.admission.held(), 0);
  });
});
