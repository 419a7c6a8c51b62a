import { OnModuleInit } from '@nestjs/common';
import { OnQueueFailed, Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { ShutdownInterruption } from '../run/running-jobs.service';
import { TaskRunner } from '../run/task-runner.service';
import { assertOneHandlerPerJob } from './job-handlers';
import { GENERATION_QUEUE, JobName, type JobPayloads, type JobStatus } from './job-names';

/** Thin: one job at a time (concurrency 1, one sidecar per process), TaskRunner does the work. */
@Processor(GENERATION_QUEUE)
export class GenerationProcessor implements OnModuleInit {
  constructor(private readonly runner: TaskRunner) {}

  onModuleInit(): void {
    assertOneHandlerPerJob(GenerationProcessor);
  }

  @Process({ name: JobName.Generate, concurrency: 1 })
  async generate(job: Job<JobPayloads[JobName.Generate]>): Promise<JobStatus> {
    return this.runner.run(job.data.taskId);
  }

  /**
   * run() never throws for a task's own failure: this is a shutdown interruption (retried:
   * attempts 2) or Bull giving up on the job (e.g. stalled twice), which fails the task.
   */
  @OnQueueFailed()
  async onFailed(job: Job<JobPayloads[JobName.Generate]>, error: Error): Promise<void> {
    if (error instanceof ShutdownInterruption && job.attemptsMade < (job.opts.attempts ?? 1)) return;
    await this.runner.failUnexpectedly(job.data.taskId, error.message);
  }
}
