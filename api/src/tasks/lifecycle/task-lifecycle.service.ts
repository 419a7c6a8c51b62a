import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ApiError, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import type { ModelOwnSize } from '../../storage/model-units';
import { RedisMemory } from '../../redis/redis-memory';
import { StorageService } from '../../storage/storage.service';
import { StoreDiskSpace } from '../../storage/store-disk-space';
import { AdmissionService } from '../admission/admission.service';
import { RunningJobsService } from '../jobs/running-jobs.service';
import { TaskQueueService } from '../queue/task-queue.service';
import {
  modelIdOf,
  type TaskOptionsRecord,
  type TaskRecord,
  type TaskState,
  type TaskStatus,
} from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { RepeatRegistry } from '../repeats/repeat-registry';
import { WorkerRegistry, everyEngineFailed } from '../workers/worker-registry.service';
import { QueuePositionsService } from './queue-positions.service';
import { RecentFailures } from './recent-failures';
import { newTaskToken, tokenMatches } from './task-token';
import { FOLLOW, type TaskEvent, transitionOf } from './task-transitions';
import { errorMessage } from '../../common/error-message';

/** How often leaked queue slots and orphaned tasks are looked for (reconcile). */
const RECONCILE_EVERY_MS = 60_000;
/** Seconds a 503 engine_unavailable at upload asks to wait (a failed sidecar is retried with backoff). */
export const ENGINE_FAILED_RETRY_AFTER_S = 60;

/** A task just made: its state and its token (handed to its maker once, never stored). */
export interface NewTask {
  state: TaskState;
  token: string;
}

/** What one transition did: its event id (0 refused or unchanged, -1 no such task), the status after. */
export interface TransitionOutcome {
  applied: boolean;
  seq: number;
  /** The task's status after the call; undefined when it does not exist (expired). */
  status: TaskStatus | undefined;
  /**
   * A `cancel` (ownTaskOnly) that ended its job: the job's id (its Bull job is to be removed or
   * aborted); undefined when the job runs on for the tasks following it, or for any other event.
   */
  endedJob?: string | undefined;
}

/**
 * The owner of a task's life (docs/design.md, Queue): its queue slot from admission to its end,
 * its birth (create, reuse), every status change (task-transitions.ts says which, from where, with
 * which effects) and those effects: the slot and the queued picture go in the same Redis step as
 * the change (TaskStore.transition), model files and queue positions right after it. A status is
 * changed nowhere else; the runner, the intake, the routes and the processors ask for events.
 * Also runs the reconcile (at boot and every minute) that recovers what a dead api left: slots of
 * tasks that never got stored, and `queued` tasks whose job was never added.
 */
@Injectable()
export class TaskLifecycle implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskLifecycle.name);
  private reconcileTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly admission: AdmissionService,
    private readonly tasks: TaskStore,
    private readonly queue: TaskQueueService,
    private readonly positions: QueuePositionsService,
    private readonly jobs: RunningJobsService,
    private readonly storage: StorageService,
    private readonly clock: Clock,
    private readonly repeats: RepeatRegistry,
    private readonly failures: RecentFailures,
    private readonly workers: WorkerRegistry,
    private readonly storeMemory: RedisMemory,
    private readonly disk: StoreDiskSpace,
  ) {}

  onModuleInit(): void {
    // Not awaited: the api starts (and reports redis down in /api/health) without Redis.
    void this.reconcileNow();
    this.reconcileTimer = setInterval(() => void this.reconcileNow(), RECONCILE_EVERY_MS);
    this.reconcileTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.reconcileTimer);
  }

  /**
   * admit()'s verdict without taking a slot (AdmissionService.precheck): the same 503 or 429, for an
   * upload whose picture is not decoded yet.
   */
  async precheck(client: string): Promise<void> {
    await this.admission.precheck(client);
  }

  /**
   * Refuses a new task before its picture is decoded while none could be taken: ApiError 503
   * `admissions_paused` (+ Retry-After) while an operator paused admissions
   * (AdmissionService.refuseIfPaused; admit() judges it again), 503 `engine_unavailable` (+
   * Retry-After ENGINE_FAILED_RETRY_AFTER_S) while every live worker's sidecar has failed
   * (everyEngineFailed): such a task would only fail a moment later; 507 `store_full` while Redis
   * holds STORE_FULL_SHARE of its maxmemory (RedisMemory): the memory left is for the tasks
   * already taken; 507 `insufficient_storage` while the model folder's filesystem has less than
   * MIN_FREE_DISK_MB free (StoreDiskSpace: one statfs per few seconds, no Redis): its files would
   * not fit, so nothing is written for it.
   */
  async refuseIfClosed(): Promise<void> {
    // Side by side: one round trip to Redis per upload, not two; a pause is said first.
    const [, nodes, storeFull, diskLow] = await Promise.all([
      this.admission.refuseIfPaused(),
      this.workers.nodes(),
      this.storeMemory.isFull(),
      this.disk.isLow(),
    ]);
    if (everyEngineFailed(nodes)) {
      throw new ApiError('engine_unavailable', {
        headers: { 'Retry-After': String(ENGINE_FAILED_RETRY_AFTER_S) },
      });
    }
    if (storeFull) throw new ApiError('store_full');
    if (diskLow) throw new ApiError('insufficient_storage');
  }

  /**
   * Takes a queue slot for a new task (AdmissionService.admit: 503 full, 429 the client's share,
   * both with Retry-After); returns its id. The slot is held until the task ends, or until
   * `release` when no task is made of it.
   */
  async admit(client: string): Promise<string> {
    return this.admission.admit(client);
  }

  /** Gives back a slot no task was made of (a picture refused after admission, a repeat answered). */
  async release(taskId: string): Promise<void> {
    await this.admission.release(taskId);
  }

  /**
   * (admitted) -> queued: stores the task (with its new token's hash) and its picture (and for a
   * texturing task its mesh and its model's own size: TaskStore.create), adds its job; returns the state to answer with and the token. Stored before its job is added (a job
   * found before its task would be skipped, and Bull's add is its own script, so no MULTI holds
   * both): a crash between the two leaves an orphan that reconcile() enqueues. If storing or adding fails, a stored task is abandoned (failed 500,
   * slot and picture gone), a task never stored gives its slot back, and the error is thrown.
   */
  async create(
    taskId: string,
    image: Buffer,
    options?: TaskOptionsRecord,
    repeatKeys: readonly string[] = [],
    mesh?: Buffer,
    ownSize?: ModelOwnSize,
  ): Promise<NewTask> {
    const { token, hash } = newTaskToken();
    let created: TaskState;
    try {
      created = await this.tasks.create(taskId, image, hash, options, repeatKeys, mesh, ownSize);
      await this.queue.addJob(taskId);
    } catch (error) {
      // The client gets the error and never the id: no task is left `queued` for no one.
      await this.apply(taskId, { type: 'abandon' }).catch(() => undefined);
      await this.release(taskId).catch(() => undefined);
      throw error;
    }
    await this.positions.refresh();
    return { state: (await this.tasks.get(taskId)) ?? created, token };
  }

  /**
   * (admitted) -> completed at birth: an instant repeat answered with a kept model (`record`, status
   * completed), with a token of its own. Its slot goes back at once: no job runs.
   */
  async reuse(record: TaskRecord & { status: 'completed' }): Promise<NewTask> {
    const { token, hash } = newTaskToken();
    const state = await this.tasks.createFinished(record, hash);
    await this.release(record.task_id);
    return { state, token };
  }

  /**
   * (admitted) -> follow (task-transitions.ts FOLLOW): an instant repeat of the unfinished job
   * `jobId` becomes task `taskId` of its own (own token) following it, with a copy of the job's
   * current record; the slot admitted for it goes back (a follower takes no GPU time and holds no
   * slot: docs/design.md, Instant repeats). Undefined when the job is finished or gone (the slot is
   * kept: the caller makes a job of its own with it).
   */
  async follow(taskId: string, jobId: string): Promise<NewTask | undefined> {
    const { token, hash } = newTaskToken();
    const state = await this.tasks.follow(taskId, jobId, hash, FOLLOW.joins);
    if (!state) return undefined;
    await this.release(taskId);
    return { state, token };
  }

  /**
   * Applies job event `event` to job `taskId` (its first task's id) and every task following it
   * whose status allows it (task-transitions.ts), with the row's effects on the job (model files
   * removed even when refused, where the row says so and no task of the job is completed).
   */
  async apply(taskId: string, event: TaskEvent): Promise<TransitionOutcome> {
    const row = transitionOf(event, this.clock.now());
    let seq: number;
    let status: TaskStatus | undefined;
    let endedJob: string | undefined;
    if (row.effects.ownTaskOnly) {
      ({ seq, status, endedJob } = await this.tasks.cancel(taskId, row.from, row.patch));
    } else {
      ({ seq, status } = await this.tasks.transition(taskId, row.from, row.patch, row.effects));
      if (seq > 0) endedJob = taskId;
    }
    const applied = seq > 0;
    // The job's effects: always for a job event that changed a task; for one task's own change
    // (cancel) only when it was the last task following its job.
    const jobChanged = applied && endedJob !== undefined;
    const removeModels = jobChanged
      ? row.effects.removeModels
      : !applied && row.effects.removeModelsIfRefused && status !== 'completed';
    if (removeModels) {
      // Files are named by the task's model id (an expired task's, unknown: the old name, its id).
      const record = (await this.tasks.get(taskId))?.record;
      const modelId = modelIdOf(record ?? { task_id: taskId });
      await this.storage.removeModels(modelId);
      if (record?.kind === 'texture') await this.tasks.forgetOwnSizes([modelId]);
    }
    // The ops console's failures by kind: one per job's failure, one per cancelled task.
    if (applied && row.to === 'failed' && row.patch.error_code)
      await this.failures.record(row.patch.error_code, taskId);
    // Instant-repeat keys exist for completed jobs only (RepeatRegistry): written now, not at upload.
    if (applied && event.type === 'complete')
      await this.repeats.remember(taskId, await this.completedMember(taskId));
    // Not awaited: waiting tasks' figures need not hold up a job (refresh never throws).
    if (jobChanged && row.effects.refreshPositions) void this.positions.refresh();
    return { applied, seq, status, endedJob: row.effects.ownTaskOnly ? endedJob : undefined };
  }

  /**
   * The task a completed job's repeat keys name: its first task when completed, else a completed
   * one following it (the first was cancelled), else the job's id.
   */
  private async completedMember(jobId: string): Promise<string> {
    const others = (await this.tasks.membersOf(jobId)).filter((id) => id !== jobId);
    for (const id of [jobId, ...others]) {
      if ((await this.tasks.get(id))?.record.status === 'completed') return id;
    }
    return jobId;
  }

  /**
   * queued | processing -> failed 409 "Task cancelled", for the task's maker only: `token` is the
   * X-Task-Token header (undefined when absent). The task leaves its job (TaskStore.cancel, one
   * step); when no task follows the job any more the job ends: its slot and picture go in that
   * step, then a waiting job is removed from Bull, a running one is aborted on whichever process
   * runs it (its runner then finds no task to finish), and its files are removed. While others
   * follow it the job runs on for them. Returns the state to answer with. ApiError 404 for an
   * unknown task, 403 "Task token missing or wrong" without the task's token (checked before anything
   * about the task is told), 409 for a finished one.
   */
  async cancel(taskId: string, token: string | undefined): Promise<TaskState> {
    const state = await this.tasks.require(taskId);
    if (!tokenMatches(await this.tasks.tokenHashOf(taskId), token)) {
      throw new ApiError('task_token_required');
    }
    return this.cancelTask(state, 'its maker');
  }

  /**
   * The operator's cancel (DELETE /api/admin/tasks/{id}): cancel() without the task's token, the
   * same transition and effects. `by` names the operator in the log line. ApiError 404 for an
   * unknown task, 409 for a finished one.
   */
  async cancelByOperator(taskId: string, by: string): Promise<TaskState> {
    return this.cancelTask(await this.tasks.require(taskId), `operator ${by}`);
  }

  /** cancel()'s work once the right to cancel is settled; `by` is for the log line. */
  private async cancelTask(state: TaskState, by: string): Promise<TaskState> {
    const taskId = state.record.task_id;
    if (state.record.status === 'completed' || state.record.status === 'failed') {
      throw new ApiError(409, ErrorMessage.alreadyFinished);
    }
    const outcome = await this.apply(taskId, { type: 'cancel' });
    const after = await this.tasks.get(taskId);
    if (!after) throw new ApiError(404, ErrorMessage.taskNotFound);
    if (!outcome.applied && after.record.cancelled !== true)
      throw new ApiError(409, ErrorMessage.alreadyFinished);
    if (outcome.endedJob === undefined) {
      this.logger.log(`task ${taskId} cancelled by ${by} (its job runs on for the tasks following it)`);
      return after;
    }
    // The job's end: after its slot went, so a worker that takes it now finds no task to start.
    const removed = await this.queue.removeWaitingJob(outcome.endedJob);
    if (!removed) await this.jobs.requestAbort(outcome.endedJob);
    this.logger.log(`task ${taskId} cancelled by ${by} (${removed ? 'was waiting' : 'was running'})`);
    return after;
  }

  /**
   * The cleanup deleted the files of models `modelIds` (CleanupService.sweep): every completed task
   * naming one of them goes, as if its TTL had run out (404 task_not_found; its voxel preview
   * with it: TaskStore.forgetCompleted), then the instant-repeat keys that named those tasks
   * (RepeatRegistry.forgetHolders), and the own sizes of painted models among them
   * (TaskStore.forgetOwnSizes). Why: a completed task's TTL is set when it completes, from the
   * RETENTION_HOURS of that time; lowered since, the record would outlive its files, reading
   * `completed` with model URLs that answer 404. Safe on several api processes at once. Returns
   * the ids of the tasks forgotten. Throws on a Redis error.
   */
  async forgetModels(modelIds: readonly string[]): Promise<string[]> {
    const forgotten = await this.tasks.forgetCompleted(modelIds);
    await this.repeats.forgetHolders(forgotten);
    await this.tasks.forgetOwnSizes(modelIds);
    if (forgotten.length > 0) {
      this.logger.log(`${forgotten.length} completed task(s) forgotten: their models were deleted`);
    }
    return forgotten;
  }

  /** Positions and ETAs of the waiting tasks, again (a job started or stalled elsewhere). Never throws. */
  async refreshPositions(): Promise<void> {
    await this.positions.refresh();
  }

  /**
   * Recovery after a dead api: frees the slots of finished or vanished tasks, and adds the job
   * of every orphaned task (`queued` past the grace period with no Bull job: its api died between
   * storing it and adding its job, or between a shutdown's removal of its job and the re-add) at
   * the head of the queue, for it has waited longest. Safe on several api processes at once: Bull
   * adds a job id only once, and a job whose task is no longer `queued` is skipped by TaskRunner.
   * Returns the ids enqueued again.
   */
  async reconcile(): Promise<string[]> {
    const { dropped, orphaned } = await this.admission.reconcile(this.queue.jobKeyPrefix());
    if (dropped > 0) this.logger.warn(`released ${dropped} queue slot(s) held by no live task`);
    for (const taskId of orphaned) {
      await this.queue.addJob(taskId, true);
      this.logger.warn(`task ${taskId} was queued with no job: enqueued again`);
    }
    if (orphaned.length > 0) await this.positions.refresh();
    return orphaned;
  }

  private async reconcileNow(): Promise<void> {
    try {
      await this.reconcile();
    } catch (error) {
      this.logger.warn(`queue reconcile failed: ${errorMessage(error)}`);
    }
  }
}
