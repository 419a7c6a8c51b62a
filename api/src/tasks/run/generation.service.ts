import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { InferenceRepository, type InferenceProgress } from '../../inference/inference.repository';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { StorageService } from '../../storage/storage.service';
import { sourceModelName, webModelName } from '../../storage/model-names';
import { JobDurationsService } from '../queue/job-durations.service';
import { mapInferenceError } from './inference-error-mapping';
import { GENERATION_QUEUE, type JobStatus } from '../queue/job-names';
import { ProgressThrottle } from './progress-throttle';
import { TaskStore } from '../state/task-store.service';

/** At most this often a `processing` event per task (stage changes always pass). */
export const PROGRESS_INTERVAL_MS = 250;
/** A job waits this long for the sidecar to be ready (e.g. right after an api restart). */
export const READY_WAIT_MS = 300_000;
/** On shutdown, how long the running job has to wind down after its abort. */
const SHUTDOWN_WAIT_MS = 15_000;

/** Thrown out of a job interrupted by this process shutting down, so Bull runs it again. */
export class ShutdownInterruption extends Error {
  constructor(taskId: string) {
    super(`task ${taskId} interrupted by api shutdown; requeued`);
    this.name = 'ShutdownInterruption';
  }
}

/**
 * Runs one task (docs/design.md, Queue): marks it processing, calls the inference repository with
 * the job limit, turns progress into throttled events, publishes the web model and marks the
 * task completed, or maps the error to the contract's status and message.
 */
@Injectable()
export class GenerationService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(GenerationService.name);
  /** Jobs running in this process, by task id, so a DELETE on any process can abort them. */
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<JobStatus>>();
  private shuttingDown = false;
  private unlisten: (() => void) | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inference: InferenceRepository,
    private readonly tasks: TaskStore,
    private readonly durations: JobDurationsService,
    private readonly storage: StorageService,
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
  ) {}

  onModuleInit(): void {
    this.unlisten = this.redis.listen(RedisKeys.cancelChannel, (taskId) => this.abortLocal(taskId));
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /**
   * Graceful stop (SIGTERM): the running job is aborted and put back in the queue (its task
   * returns to `queued`), so the next api start runs it; Redis and the sidecar are still up here.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const controller of this.running.values()) controller.abort();
    const deadline = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
  }

  /** Aborts the task's job if this process runs it. */
  abortLocal(taskId: string): boolean {
    const controller = this.running.get(taskId);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  /** Publishes position and ETA to every waiting task (call whenever the queue moves). */
  async refreshPositions(): Promise<void> {
    try {
      await this.tasks.refreshPositions(this.queue.toKey('wait'), await this.durations.mean());
    } catch (error) {
      this.logger.warn(
        `queue positions not refreshed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async run(taskId: string): Promise<JobStatus> {
    const job = this.runJob(taskId);
    this.inFlight.add(job);
    try {
      return await job;
    } finally {
      this.inFlight.delete(job);
    }
  }

  private async runJob(taskId: string): Promise<JobStatus> {
    if (this.shuttingDown) throw new ShutdownInterruption(taskId);
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
      await this.refreshPositions();
      return 'skipped';
    }
    await this.refreshPositions();
    const controller = new AbortController();
    this.running.set(taskId, controller);
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
        controller.signal,
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
      if (this.shuttingDown) {
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
      this.running.delete(taskId);
      if (!this.shuttingDown) await this.tasks.deleteImage(taskId).catch(() => undefined);
      await this.refreshPositions();
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
      await this.refreshPositions();
    } catch (error) {
      this.logger.error(`task ${taskId} could not be marked failed: ${String(error)}`);
    }
  }
}
