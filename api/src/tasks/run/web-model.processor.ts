import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { InjectQueue, OnQueueFailed, Process, Processor } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { TaskRunner } from './task-runner.service';
import { assertOneHandlerPerJob } from './job-handlers';
import { type JobStatus, WEB_MODEL_QUEUE, WebModelJobName, type WebModelPayload } from '../queue/job-names';
import { closeQueueIfRedisAway } from '../../redis/bull-shutdown';
import { errorMessage } from '../../common/error-message';

type WebModelJob = Job<WebModelPayload>;

/**
 * This process's worker of the web-model queue (WEB_MODEL_QUEUE): one optimisation at a time
 * (they share the CPU), TaskRunner.finish does the work and sends `completed`. The GPU queue's
 * worker is free meanwhile. Around restarts: a graceful stop lets the running optimisation end
 * (a local pause waits for it); after a crash Bull runs the job again once its lock lapsed
 * (the source GLB is on disk, the work is idempotent); a job Bull gives up on (stalled twice)
 * fails its task with 500, as on the GPU queue.
 */
@Processor(WEB_MODEL_QUEUE)
export class WebModelProcessor implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebModelProcessor.name);

  constructor(
    private readonly runner: TaskRunner,
    @InjectQueue(WEB_MODEL_QUEUE) private readonly queue: Queue,
  ) {}

  onModuleInit(): void {
    assertOneHandlerPerJob(WebModelProcessor, Object.values(WebModelJobName));
  }

  onApplicationBootstrap(): void {
    // Not awaited: the api starts without Redis. Fails the tasks of jobs a dead api gave up on.
    void this.queue
      .getFailed()
      .then(async (failed) => {
        for (const job of failed as WebModelJob[]) {
          await this.onFailed(job, new Error(job.failedReason ?? 'job failed'));
        }
      })
      .catch((error: unknown) => this.logger.warn(`failed web-model jobs not swept: ${errorMessage(error)}`));
  }

  @Process({ name: WebModelJobName.Publish, concurrency: 1 })
  async publish(job: WebModelJob): Promise<JobStatus> {
    return this.runner.finish(job.data);
  }

  /** Bull gave up on the job (stalled twice). Never rejects. */
  @OnQueueFailed()
  async onFailed(job: WebModelJob | null | undefined, error: Error): Promise<void> {
    try {
      if (!job) return;
      await this.runner.failUnexpectedly(job.data.taskId, error.message);
      await job.remove();
    } catch (failure) {
      this.logger.error(`failed web-model job ${String(job?.id)} not handled: ${errorMessage(failure)}`);
    }
  }

  /** Graceful stop: take no new job here, let the running optimisation end (the pause waits for it). */
  async beforeApplicationShutdown(): Promise<void> {
    if (await closeQueueIfRedisAway(this.queue)) return;
    try {
      await this.queue.pause(true);
    } catch (error) {
      this.logger.warn(`web-model worker not paused: ${errorMessage(error)}`);
    }
  }
}
