import {
  BeforeApplicationShutdown,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { InjectQueue, OnQueueFailed, OnQueueStalled, Process, Processor } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { RunningJobsService } from '../jobs/running-jobs.service';
import { TaskQueueService } from '../queue/task-queue.service';
import { TaskRunner } from './task-runner.service';
import { assertOneHandlerPerJob } from './job-handlers';
import {
  GENERATION_QUEUE,
  JobName,
  WEB_MODEL_QUEUE,
  type JobPayloads,
  type JobStatus,
} from '../queue/job-names';
import { TaskLifecycle } from '../lifecycle/task-lifecycle.service';
import { closeQueueIfRedisAway } from '../../redis/bull-shutdown';
import { errorMessage } from '../../common/error-message';

/**
 * How often the positions are refreshed for stalled jobs: a task whose job's lock lapsed reads
 * `queued` at most this long after (Bull moves the job itself only at its next check, up to 5 s).
 */
const STALLED_TASKS_REFRESH_MS = 1_000;

/** On shutdown, how long the running job has to wind down after its abort. */
export const SHUTDOWN_WAIT_MS = 15_000;

type GenerateJob = Job<JobPayloads[JobName.Generate]>;

/**
 * This process's Bull worker: one job at a time (concurrency 1, one sidecar per process),
 * TaskRunner does the work. It owns what happens to a job around a restart:
 * - graceful shutdown: the worker takes no new job, the running one is aborted and its task
 *   (back to `queued` by TaskRunner) gets its job again, at the head of the queue, with no
 *   attempt spent; the next start runs it (killed between the job's removal and its re-add, the
 *   task is left `queued` with no job: TaskLifecycle.reconcile enqueues it again);
 * - a crash: the task reads `queued` once its job's lock lapsed (QueuePositionsService, checked
 *   every STALLED_TASKS_REFRESH_MS and on Bull's `stalled` event), Bull runs it again once;
 * - a job Bull gives up on (stalled twice): its task ends failed 500, the job is removed; failed
 *   jobs left by an api that died before doing so are swept at boot.
 */
@Processor(GENERATION_QUEUE)
export class GenerationProcessor
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy
{
  private readonly logger = new Logger(GenerationProcessor.name);
  /** Tasks whose job this process interrupted for its shutdown and must add again. */
  private readonly requeued = new Set<string>();
  private stalledTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runner: TaskRunner,
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
    private readonly jobsQueue: TaskQueueService,
    @InjectQueue(WEB_MODEL_QUEUE) private readonly webModels: Queue,
    private readonly jobs: RunningJobsService,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  onModuleInit(): void {
    assertOneHandlerPerJob(GenerationProcessor);
  }

  onApplicationBootstrap(): void {
    // Not awaited: the api starts (and reports redis down in /api/health) without Redis.
    void this.sweepFailedJobs().then(() => this.lifecycle.refreshPositions());
    this.stalledTimer = setInterval(() => void this.lifecycle.refreshPositions(), STALLED_TASKS_REFRESH_MS);
    this.stalledTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.stalledTimer);
  }

  @Process({ name: JobName.Generate, concurrency: 1 })
  async generate(job: GenerateJob): Promise<JobStatus> {
    // Run again after a crash that came between its hand-off and Bull's record of it: the
    // sidecar's part is done and the web-model job carries the task on.
    if (await this.webModels.getJob(job.data.taskId)) return 'handed-off';
    const status = await this.runner.run(job.data.taskId);
    if (status === 'requeued') this.requeued.add(job.data.taskId);
    return status;
  }

  /**
   * run() never throws for a task's own failure: this is Bull giving up on the job (stalled
   * twice). Never rejects (an event listener's rejection would end the process).
   */
  @OnQueueFailed()
  async onFailed(job: GenerateJob | null | undefined, error: Error): Promise<void> {
    try {
      if (!job) {
        this.logger.error(`a job failed and was already gone from Bull: ${error.message}`);
        return;
      }
      await this.runner.failUnexpectedly(job.data.taskId, error.message);
      await job.remove();
    } catch (failure) {
      this.logger.error(`failed job ${String(job?.id)} not handled: ${errorMessage(failure)}`);
    }
  }

  /** Fails the tasks of failed jobs still in Bull (their api died before onFailed finished). */
  private async sweepFailedJobs(): Promise<void> {
    try {
      const failed = (await this.queue.getFailed()) as GenerateJob[];
      for (const job of failed) await this.onFailed(job, new Error(job.failedReason ?? 'job failed'));
    } catch (error) {
      this.logger.warn(`failed jobs not swept: ${errorMessage(error)}`);
    }
  }

  /** Bull moved a stalled job back to the wait list: its task reads `queued` with its position. */
  @OnQueueStalled()
  onStalled(): void {
    void this.lifecycle.refreshPositions();
  }

  /**
   * Graceful stop, before Redis, Bull and the sidecar close: the worker stops taking jobs (a local
   * pause: other api processes go on), the running job is aborted and awaited (SHUTDOWN_WAIT_MS),
   * then its job is added again at the head of the queue. A job that did not wind down in time, or
   * one interrupted while Redis is unreachable, keeps its Bull job and lock, and comes back through
   * Bull's stalled check.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.stalledTimer);
    try {
      await this.queue.pause(true, true);
    } catch (error) {
      this.logger.warn(`worker not paused: ${errorMessage(error)}`);
    }
    if (!(await this.jobs.abortAll(SHUTDOWN_WAIT_MS))) {
      this.logger.warn(`a job did not wind down within ${SHUTDOWN_WAIT_MS} ms`);
      return;
    }
    if (await closeQueueIfRedisAway(this.queue)) {
      this.logger.warn(
        "Redis unreachable at shutdown: an interrupted job comes back through Bull's stalled check",
      );
      return;
    }
    try {
      // Bull has finished (and removed) the interrupted job once its processing promise settled.
      await this.queue.whenCurrentJobsFinished();
      for (const taskId of this.requeued) await this.jobsQueue.addJob(taskId, true);
      await this.lifecycle.refreshPositions();
    } catch (error) {
      this.logger.error(
        `interrupted jobs not put back (${[...this.requeued].join(', ')}): ${errorMessage(error)}`,
      );
    }
  }
}
