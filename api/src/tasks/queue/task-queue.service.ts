import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { ApiError, CANCELLED_HTTP_STATUS, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { AdmissionService } from '../admission/admission.service';
import { RunningJobsService } from '../run/running-jobs.service';
import type { TaskState } from '../state/task-snapshot';
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

/** The Bull queue of generation jobs: enqueueing an admitted task, cancelling one, counting. */
@Injectable()
export class TaskQueueService {
  private readonly logger = new Logger(TaskQueueService.name);

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
    private readonly admission: AdmissionService,
    private readonly tasks: TaskStore,
    private readonly positions: QueuePositionsService,
    private readonly jobs: RunningJobsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores the admitted task and its image, enqueues its job; returns the state to answer with.
   * On a failure the task's queue slot is given back.
   */
  async enqueue(taskId: string, image: Buffer): Promise<TaskState> {
    try {
      await this.tasks.create(taskId, image);
      const payload: JobPayloads[JobName.Generate] = { taskId };
      await this.queue.add(JobName.Generate, payload, generateJobOptions(taskId));
    } catch (error) {
      await this.admission.release(taskId).catch(() => undefined);
      throw error;
    }
    await this.positions.refresh();
    return (
      (await this.tasks.get(taskId)) ?? {
        seq: 1,
        record: { task_id: taskId, status: 'queued', created_at: '', updated_at: '' },
      }
    );
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
      http_status: CANCELLED_HTTP_STATUS,
      cancelled: true,
      finished_at: new Date(this.clock.now()).toISOString(),
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

  /** Waiting and running jobs (Bull) and held queue slots (admission). */
  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts();
    return {
      waiting: counts.waiting,
      active: counts.active,
      slots_held: await this.admission.held(),
      capacity: this.admission.capacity,
    };
  }
}
