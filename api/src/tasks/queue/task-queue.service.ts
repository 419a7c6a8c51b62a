import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { AdmissionService } from '../admission/admission.service';
import { GENERATION_QUEUE, JobName, generateJobOptions, type JobPayloads } from './job-names';

/** Job and slot counts of the queue, as /api/health reports them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  slots_held: number;
  capacity: number;
}

/**
 * The Bull queue of generation jobs (one job per task, its id the task id): adding a task's job,
 * removing a waiting one, counting. What a job means for its task is TaskLifecycle's.
 */
@Injectable()
export class TaskQueueService {
  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
    private readonly admission: AdmissionService,
  ) {}

  /**
   * Adds the task's job: at the tail (FIFO), or with `head` at the head (a task that has waited
   * longest: one interrupted by a shutdown, an orphan found by reconcile). Bull adds a job id once.
   */
  async addJob(taskId: string, head = false): Promise<void> {
    const payload: JobPayloads[JobName.Generate] = { taskId };
    await this.queue.add(JobName.Generate, payload, generateJobOptions(taskId, head));
  }

  /**
   * Removes the task's job if it is still waiting; false when there is none or a worker holds it
   * (Bull refuses to remove a locked job, i.e. one that runs).
   */
  async removeWaitingJob(taskId: string): Promise<boolean> {
    const job = await this.queue.getJob(taskId);
    if (!job) return false;
    return job.remove().then(
      () => true,
      () => false,
    );
  }

  /** Where Bull keeps a job of this queue (`<prefix><task id>`), for the reconcile script. */
  jobKeyPrefix(): string {
    return this.queue.toKey('');
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
