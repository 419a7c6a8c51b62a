import { Inject, Injectable, Logger } from '@nestjs/common';
import { ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { InferenceRepository, type InferenceProgress } from '../../inference/inference.repository';
import { StorageService } from '../../storage/storage.service';
import { sourceModelName, webModelName } from '../../storage/model-names';
import { JobDurationsService } from '../queue/job-durations.service';
import type { JobStatus } from '../queue/job-names';
import { QueuePositionsService } from '../queue/queue-positions.service';
import { TaskStore } from '../state/task-store.service';
import { mapInferenceError } from './inference-error-mapping';
import { ProgressThrottle } from './progress-throttle';
import { RunningJobsService, ShutdownInterruption } from './running-jobs.service';

/** At most this often a `processing` event per task (stage changes always pass). */
export const PROGRESS_INTERVAL_MS = 250;
/** A job waits this long for the sidecar to be ready (e.g. right after an api restart). */
export const READY_WAIT_MS = 300_000;

/**
 * Runs one task (docs/design.md, Queue): marks it processing, calls the inference repository with
 * the job limit, turns progress into throttled events, publishes the web model and marks the
 * task completed, or maps the error to the contract's status and message. A job aborted by a
 * graceful shutdown puts its task back to `queued` and throws ShutdownInterruption (Bull retries).
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inference: InferenceRepository,
    private readonly tasks: TaskStore,
    private readonly durations: JobDurationsService,
    private readonly positions: QueuePositionsService,
    private readonly jobs: RunningJobsService,
    private readonly storage: StorageService,
    private readonly clock: Clock,
  ) {}

  /** Runs the task's job; resolves with what Bull keeps as the job's result. */
  async run(taskId: string): Promise<JobStatus> {
    return this.jobs.track(this.runJob(taskId));
  }

  private async runJob(taskId: string): Promise<JobStatus> {
    if (this.jobs.shuttingDown) throw new ShutdownInterruption(taskId);
    const startedAt = this.clock.now();
    const marked = await this.tasks.update(
      taskId,
      {
        status: 'processing',
        progress: 0,
        stage: 'preprocess',
        started_at: new Date(startedAt).toISOString(),
        position: null,
        eta_s: null,
      },
      ['queued', 'processing'],
    );
    if (marked <= 0) {
      // Cancelled while waiting, or expired: nothing to run.
      await this.tasks.deleteImage(taskId);
      await this.positions.refresh();
      return 'skipped';
    }
    await this.positions.refresh();
    const signal = this.jobs.start(taskId);
    let progressChain: Promise<unknown> = Promise.resolve();
    try {
      const current = await this.tasks.get(taskId);
      if (!current || current.record.status !== 'processing') return 'skipped';
      const image = await this.tasks.getImage(taskId);
      if (!image) throw new Error(`image of task ${taskId} is missing from Redis`);
      await this.inference.waitUntilReady(READY_WAIT_MS);
      this.logger.log(`inference start task=${taskId} input=${image.length} bytes`);
      const throttle = new ProgressThrottle(PROGRESS_INTERVAL_MS, () => this.clock.now());
      const onProgress = (progress: InferenceProgress): void => {
        if (!throttle.accept(progress)) return;
        // Chained so events keep their order; failures only cost an event.
        progressChain = progressChain
          .then(() =>
            this.tasks.update(
              taskId,
              { progress: Math.min(99, Math.round(progress.percent)), stage: progress.stage },
              ['processing'],
            ),
          )
          .catch(() => undefined);
      };
      const result = await this.inference.generate(
        {
          taskId,
          image,
          outputPath: this.storage.sourcePath(taskId),
          seed: 0,
          timeoutS: this.config.jobTimeoutS,
        },
        onProgress,
        signal,
      );
      await this.storage.publishWebModel(taskId);
      await this.tasks.deleteImage(taskId);
      await progressChain;
      const seconds = (this.clock.now() - startedAt) / 1000;
      const done = await this.tasks.update(
        taskId,
        {
          status: 'completed',
          progress: 100,
          stage: 'export',
          model_path: `/static/${webModelName(taskId)}`,
          download_path: `/static/${sourceModelName(taskId)}`,
          generation_time: Math.round(seconds * 100) / 100,
          engine: result.engine,
          triangles: result.triangles,
          finished_at: new Date(this.clock.now()).toISOString(),
        },
        ['processing'],
      );
      if (done <= 0) {
        // Cancelled at the last moment: its files must not outlive it.
        await this.storage.removeModels(taskId);
        this.logger.log(
          `inference end task=${taskId} duration=${seconds.toFixed(2)}s (discarded: cancelled)`,
        );
        return 'skipped';
      }
      await this.durations.record(seconds);
      this.logger.log(
        `inference end task=${taskId} duration=${seconds.toFixed(2)}s engine=${result.engine} ` +
          `triangles=${result.triangles} bytes=${result.bytes}`,
      );
      return 'completed';
    } catch (error) {
      if (this.jobs.shuttingDown) {
        await progressChain;
        await this.tasks.update(taskId, { status: 'queued', progress: null, stage: null, started_at: null }, [
          'processing',
        ]);
        await this.storage.removeModels(taskId);
        this.logger.warn(`task ${taskId} interrupted by shutdown: it will run again`);
        throw new ShutdownInterruption(taskId);
      }
      const failure = mapInferenceError(error);
      const seconds = (this.clock.now() - startedAt) / 1000;
      if (failure.unexpected) {
        this.logger.error(
          `inference failed task=${taskId} after ${seconds.toFixed(2)}s: ${String(error)}`,
          error instanceof Error ? error.stack : undefined,
        );
      } else {
        this.logger.warn(`inference end task=${taskId} duration=${seconds.toFixed(2)}s: ${failure.message}`);
      }
      await progressChain;
      await this.tasks.deleteImage(taskId);
      await this.tasks.update(
        taskId,
        {
          status: 'failed',
          error: failure.message,
          http_status: failure.httpStatus,
          cancelled: failure.cancelled ? true : null,
          finished_at: new Date(this.clock.now()).toISOString(),
        },
        ['processing'],
      );
      await this.storage.removeModels(taskId);
      return 'failed';
    } finally {
      this.jobs.end(taskId);
      if (!this.jobs.shuttingDown) await this.tasks.deleteImage(taskId).catch(() => undefined);
      await this.positions.refresh();
    }
  }

  /** Marks a task failed "Internal error" (a job Bull gave up on, e.g. stalled twice). */
  async failUnexpectedly(taskId: string, reason: string): Promise<void> {
    this.logger.error(`task ${taskId} failed in the queue: ${reason}`);
    try {
      await this.tasks.update(taskId, {
        status: 'failed',
        error: ErrorMessage.internal,
        http_status: 500,
        finished_at: new Date(this.clock.now()).toISOString(),
      });
      await this.tasks.deleteImage(taskId);
      await this.positions.refresh();
    } catch (error) {
      this.logger.error(`task ${taskId} could not be marked failed: ${String(error)}`);
    }
  }
}
