import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { ApiError, CANCELLED_HTTP_STATUS, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { AdmissionService } from '../admission/admission.service';
import { RunningJobsService } from '../jobs/running-jobs.service';
import type { TaskOptionsRecord, TaskState } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { GENERATION_QUEUE, JobName, generateJobOptions, type JobPayloads } from './job-names';
import { QueuePositionsService } from './queue-positions.service';

/** Job and slot counts of the queue, as /api/health reports them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  slots_held: number;
  capacity: number;
}

/** How often leaked queue slots and orphaned tasks are looked for (AdmissionService.reconcile). */
const RECONCILE_EVERY_MS = 60_000;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The Bull queue of generation jobs: enqueueing an admitted task, cancelling one, counting, and
 * (at boot and every minute) the reconcile that frees leaked slots and enqueues orphaned tasks.
 */
@Injectable()
export class TaskQueueService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskQueueService.name);
  private reconcileTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
    private readonly admission: AdmissionService,
    private readonly tasks: TaskStore,
    private readonly positions: QueuePositionsService,
    private readonly jobs: RunningJobsService,
    private readonly clock: Clock,
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
   * Stores the admitted task and its image, enqueues its job; returns the state to answer with.
   * On a failure a task already stored ends failed 500 and the error is thrown; the queue slot
   * is the caller's to give back (TaskIntakeService.submit owns it from admission on).
   * The task is stored before its job is added (a job found by a worker before its task exists
   * would be skipped and its task never run; Bull's add is its own script, so no MULTI holds
   * both): a crash between the two writes leaves an orphan that reconcile() enqueues.
   */
  async enqueue(taskId: string, image: Buffer, options?: TaskOptionsRecord): Promise<TaskState> {
    let created: TaskState;
    try {
      created = await this.tasks.create(taskId, image, options);
      const payload: JobPayloads[JobName.Generate] = { taskId };
      await this.queue.add(JobName.Generate, payload, generateJobOptions(taskId));
    } catch (error) {
      // The client gets the error and never the id: a task already stored ends failed (its slot
      // goes with it) rather than left `queued` for reconcile() to run for no one.
      await this.tasks
        .update(
          taskId,
          {
            status: 'failed',
            error: ErrorMessage.internal,
            error_code: 'internal_error',
            http_status: 500,
            finished_at: new Date(this.clock.now()).toISOString(),
          },
          ['queued'],
        )
        .catch(() => undefined);
      await this.tasks.deleteImage(taskId).catch(() => undefined);
      throw error;
    }
    await this.positions.refresh();
    return (await this.tasks.get(taskId)) ?? created;
  }

  /**
   * Cancels a waiting task (its Bull job is removed) or a running one (its job is aborted on
   * whichever process runs it). Either way the task ends `failed` with 409 "Task cancelled";
   * returns that state. ApiError 404 for an unknown task, 409 for a finished one.
   */
  async cancel(taskId: string): Promise<TaskState> {
    const state = await this.tasks.require(taskId);
    if (state.record.status === 'completed' || state.record.status === 'failed') {
      throw new ApiError(409, ErrorMessage.alreadyFinished);
    }
    const failedPatch = {
      status: 'failed' as const,
      error: ErrorMessage.cancelled,
      error_code: 'task_cancelled' as const,
      http_status: CANCELLED_HTTP_STATUS,
      cancelled: true,
      finished_at: new Date(this.clock.now()).toISOString(),
      // A waiting task's queue figures end with the wait.
      position: null,
      eta_s: null,
    };
    // Removing a job fails while a worker holds its lock, i.e. once it runs.
    const job = await this.queue.getJob(taskId);
    const removed = job
      ? await job.remove().then(
          () => true,
          () => false,
        )
      : false;
    const seq = await this.tasks.update(taskId, failedPatch, removed ? [] : ['queued', 'processing']);
    if (!removed) await this.jobs.requestAbort(taskId);
    await this.tasks.deleteImage(taskId);
    await this.positions.refresh();
    const after = await this.tasks.get(taskId);
    if (!after) throw new ApiError(404, ErrorMessage.taskNotFound);
    if (seq <= 0 && after.record.cancelled !== true) throw new ApiError(409, ErrorMessage.alreadyFinished);
    this.logger.log(`task ${taskId} cancelled (${removed ? 'was waiting' : 'was running'})`);
    return after;
  }

  /**
   * Frees the queue slots of finished or vanished tasks and adds the job of every orphaned task
   * (`queued` past the grace period with no Bull job: its api died between storing it and adding
   * its job, or between a shutdown's removal of its job and the re-add). The job goes to the head
   * of the queue: the task has waited longest. Safe on several api processes at once: Bull adds a
   * job id only once, and a job whose task is no longer `queued` is skipped by TaskRunner.
   * Returns the ids enqueued again.
   */
  async reconcile(): Promise<string[]> {
    const { dropped, orphaned } = await this.admission.reconcile(this.queue.toKey(''));
    if (dropped > 0) this.logger.warn(`released ${dropped} queue slot(s) held by no live task`);
    for (const taskId of orphaned) {
      const payload: JobPayloads[JobName.Generate] = { taskId };
      await this.queue.add(JobName.Generate, payload, generateJobOptions(taskId, true));
      this.logger.warn(`task ${taskId} was queued with no job: enqueued again`);
    }
    if (orphaned.length > 0) await this.positions.refresh();
    return orphaned;
  }

  private async reconcileNow(): Promise<void> {
    try {
      await this.reconcile();
    } catch (error) {
      this.logger.warn(`queue reconcile failed: ${message(error)}`);
    }
  }

  /** Waiting and running jobs (Bull) and held queue slots (admission). */
  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts();
    return {
      waiting: counts.waiting,
      active: counts.active,
      slots_held: await this.admission.held(),
      capacity: await this.admission.capacity(),
    };
  }
}
