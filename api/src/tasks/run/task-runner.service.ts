import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import {
  DEFAULT_OPTIONS,
  QUALITIES,
  QUALITY_PIPELINE_TYPES,
  type Quality,
} from '../options/generation-options';
import {
  InferenceError,
  type InferenceJob,
  InferenceRepository,
  type InferenceResult,
} from '../../inference/inference.repository';
import { StorageService } from '../../storage/storage.service';
import { lodModelName, sourceModelName, webModelName } from '../../storage/model-names';
import type { DurationSeries } from '../options/job-durations';
import { JobDurationsService } from '../options/job-durations.service';
import { apiOptionNames } from '../options/option-names';
import {
  type JobStatus,
  WEB_MODEL_QUEUE,
  WebModelJobName,
  type WebModelPayload,
  webModelJobOptions,
} from '../queue/job-names';
import { TaskLifecycle } from '../lifecycle/task-lifecycle.service';
import { PreviewStore } from '../state/preview-store.service';
import { modelIdOf, type TaskOptionsRecord, type TaskRecord } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { mapInferenceError } from './inference-error-mapping';
import { PreviewPublisher } from './preview-publisher';
import { ProgressPublisher } from './progress-publisher';
import { RunningJobsService } from '../jobs/running-jobs.service';
import { errorMessage } from '../../common/error-message';
import { isRedisUnreachable } from '../../common/redis-unreachable';

/**
 * A task's options as the job's: a generation's (quality as its pipeline type, faces) or a
 * texturing's (texture_resolution); a task stored before options existed runs with the engine's
 * settings, seed 0.
 */
function jobOptions(
  options: TaskOptionsRecord | undefined,
): Pick<InferenceJob, 'seed' | 'pipelineType' | 'textureSize' | 'faces' | 'textureResolution'> {
  if (!options) return { seed: 0 };
  return {
    seed: options.seed,
    textureSize: options.texture_size,
    ...(options.quality !== undefined
      ? { pipelineType: QUALITY_PIPELINE_TYPES[options.quality as Quality] }
      : {}),
    ...(options.faces !== undefined ? { faces: options.faces } : {}),
    ...(options.texture_resolution !== undefined ? { textureResolution: options.texture_resolution } : {}),
  };
}

/** The quality a task's job runs at (a task stored before options existed: the default). */
function qualityOf(options: TaskOptionsRecord | undefined): Quality {
  const quality = options?.quality as Quality | undefined;
  return quality !== undefined && QUALITIES.includes(quality) ? quality : DEFAULT_OPTIONS.quality;
}

/** At most this often a `processing` event per task (stage changes always pass). */
export const PROGRESS_INTERVAL_MS = 250;
/**
 * A job the sidecar could not be reached for before it began is sent again after each of these
 * waits (ms), while INFERENCE_READY_TIMEOUT_S lasts: a remote sidecar that stopped while idle still
 * reads `ready` until its health checks miss (about 12 s). At most this many times: a job that
 * itself kills the sidecar before its first progress must not restart it for ever.
 */
export const UNREACHABLE_RETRY_MS = [2_000, 4_000, 8_000];

/** How long a made model's Redis steps wait for an unreachable Redis, and how often they try. */
export const HAND_OFF_WAIT_MS = 10 * 60_000;
export const HAND_OFF_RETRY_MS = 1_000;

/**
 * Runs one job (docs/design.md, Queue; its id is its first task's, and every event goes to each
 * task following it: Instant repeats): starts it (TaskLifecycle), calls the inference repository with
 * the job limit, turns progress into throttled events, publishes the web model and completes the
 * task, or fails it with the error mapped to the contract's status and message. A job aborted by
 * a graceful shutdown requeues its task and reports `requeued` (GenerationProcessor adds the job
 * again). Every status change is an event TaskLifecycle applies, with its effects.
 *
 * The GPU job ends with the sidecar's part: with WEB_MODEL_OVERLAP (the default) the web model
 * is made by a job of WEB_MODEL_QUEUE (publishWebModel, WebModelProcessor) while the next task
 * uses the GPU, and `completed` is sent once it is ready; without it, inside the GPU job.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inference: InferenceRepository,
    private readonly tasks: TaskStore,
    private readonly durations: JobDurationsService,
    private readonly lifecycle: TaskLifecycle,
    private readonly jobs: RunningJobsService,
    private readonly storage: StorageService,
    private readonly clock: Clock,
    @InjectQueue(WEB_MODEL_QUEUE) private readonly webModels: Queue,
    private readonly previews: PreviewStore,
  ) {}

  /** Runs the task's job; resolves with what Bull keeps as the job's result. */
  async run(taskId: string): Promise<JobStatus> {
    return this.jobs.track(this.runJob(taskId));
  }

  /**
   * The job, run again from the start (a new `started_at`, progress 0: the page says it starts
   * over) as often as an operator's forced restart kills the sidecar under it. It keeps its Bull
   * job meanwhile, so no other task takes the GPU first.
   */
  private async runJob(taskId: string): Promise<JobStatus> {
    for (;;) {
      const status = await this.runOnce(taskId);
      if (status !== 'restarted') return status;
      // Its record reads `processing`: a stop that began meanwhile must put it back itself.
      if (this.jobs.shuttingDown) return await this.requeueForShutdown(taskId);
      this.logger.warn(`task ${taskId} interrupted by a forced restart of the sidecar: it starts over`);
    }
  }

  private async runOnce(taskId: string): Promise<JobStatus | 'restarted'> {
    // Taken just as the shutdown began: the task is still queued, its job goes back as it is.
    if (this.jobs.shuttingDown) return 'requeued';
    const startedAt = this.clock.now();
    // Cancelled while waiting, or expired: nothing to run (its picture went with its end).
    if (!(await this.lifecycle.apply(taskId, { type: 'start' })).applied) return 'skipped';
    const signal = this.jobs.start(taskId);
    const progress = new ProgressPublisher(taskId, this.tasks, PROGRESS_INTERVAL_MS, () => this.clock.now());
    const preview = new PreviewPublisher(taskId, this.tasks, this.previews, this.logger);
    try {
      // The job's record: its first task's, or a follower's when the first was cancelled.
      const current = await this.tasks.jobState(taskId);
      if (!current || current.record.status !== 'processing') return 'skipped';
      const modelId = modelIdOf(current.record);
      const result = await this.generate(taskId, modelId, current.record, progress, preview, signal);
      await Promise.all([progress.flushed(), preview.flushed()]);
      // In the store before the hand-off: another worker may make the web model (publishWebModel).
      await this.storage.publishSource(modelId);
      const payload: WebModelPayload = {
        taskId,
        startedAt,
        engine: result.engine,
        triangles: result.triangles,
        bytes: result.bytes,
        ignored: result.ignored,
      };
      if (!this.config.webModelOverlap) return await this.finish(payload);
      await this.handOff(payload);
      return 'handed-off';
    } catch (error) {
      await Promise.all([progress.flushed(), preview.flushed()]);
      if (this.jobs.shuttingDown) return await this.requeueForShutdown(taskId);
      if (error instanceof InferenceError && error.code === 'RESTARTED') return 'restarted';
      return await this.fail(taskId, startedAt, error);
    } finally {
      this.jobs.end(taskId);
    }
  }

  /**
   * Queues the task's web-model job (WEB_MODEL_QUEUE), waiting out a Redis outage
   * (whileRedisAway): a failed hand-off left the task `processing` with no web-model job, and
   * Bull's stalled check ran the whole sidecar job again once Redis was back (seen with a 22 s
   * outage). A job Bull gives back meanwhile finds this web-model job and is not run again
   * (GenerationProcessor.generate).
   */
  private async handOff(payload: WebModelPayload): Promise<void> {
    await this.whileRedisAway(payload.taskId, () =>
      this.webModels.add(WebModelJobName.Publish, payload, webModelJobOptions(payload.taskId)),
    );
  }

  /**
   * Runs `step`, a Redis step of a task whose model is made, again every HAND_OFF_RETRY_MS while
   * Redis does not answer (each of the process's connections comes back on its own schedule), up
   * to HAND_OFF_WAIT_MS: the GPU's work is not thrown away for an outage. Throws the step's error
   * past the wait, at a shutdown, or at once for anything but an unreachable Redis.
   */
  private async whileRedisAway<T>(taskId: string, step: () => Promise<T>): Promise<T> {
    const waitUntil = this.clock.now() + HAND_OFF_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await step();
        if (attempt > 0) this.logger.log(`task ${taskId}: carried on once Redis was back`);
        return result;
      } catch (error) {
        if (!isRedisUnreachable(error) || this.jobs.shuttingDown || this.clock.now() >= waitUntil) {
          throw error;
        }
        if (attempt === 0) {
          this.logger.warn(
            `task ${taskId}: its model is made, but Redis does not answer (${errorMessage(error)}); ` +
              'it carries on once Redis is back',
          );
        }
        await this.clock.sleep(HAND_OFF_RETRY_MS);
      }
    }
  }

  /**
   * The sidecar's part: the task's stored image (and a texturing task's mesh) in, the source GLB
   * received at its model's storage path. Its duration is recorded under its quality (a
   * generation: what the quality presets and their ETA are measured by) or as a texturing job's.
   */
  private async generate(
    taskId: string,
    modelId: string,
    record: TaskRecord,
    progress: ProgressPublisher,
    preview: PreviewPublisher,
    signal: AbortSignal,
  ): Promise<InferenceResult> {
    const image = await this.tasks.getImage(taskId);
    if (!image) throw new Error(`image of task ${taskId} is missing from Redis`);
    const texturing = record.kind === 'texture';
    const mesh = texturing ? await this.tasks.getMesh(taskId) : null;
    if (texturing && !mesh) throw new Error(`mesh of task ${taskId} is missing from Redis`);
    const series: DurationSeries = texturing ? 'texture' : qualityOf(record.options);
    // A job waits for the sidecar as long as a load may take (INFERENCE_READY_TIMEOUT_S: weights
    // and warm-up on a first start or after a recycle), then fails engine_unavailable.
    const readyBy = this.clock.now() + this.config.inferenceReadyTimeoutS * 1000;
    for (let attempt = 0; ; attempt++) {
      // Abortable: a cancel or a graceful stop must not wait on an unreachable sidecar.
      await this.inference.waitUntilReady(Math.max(0, readyBy - this.clock.now()), signal);
      this.logger.log(
        `inference start task=${taskId} input=${image.length} bytes` +
          (mesh ? ` mesh=${mesh.length} bytes` : '') +
          (attempt > 0 ? ` (attempt ${attempt + 1})` : ''),
      );
      const callStartedAt = this.clock.now();
      let began = false;
      try {
        const result = await this.inference.generate(
          {
            taskId,
            image,
            ...(mesh ? { mesh } : {}),
            modelPath: this.storage.sourcePath(modelId),
            ...jobOptions(record.options),
            timeoutS: this.config.jobTimeoutS,
          },
          (update) => {
            began = true;
            progress.report(update);
          },
          signal,
          preview.report,
        );
        await this.recordDuration(series, (this.clock.now() - callStartedAt) / 1000);
        return result;
      } catch (error) {
        // It ran at least the limit: the preset may not fit this GPU (QualityPresetsService).
        if (error instanceof InferenceError && error.code === 'TIMEOUT' && !signal.aborted) {
          await this.recordDuration(series, this.config.jobTimeoutS);
        }
        if (!(error instanceof InferenceError && error.code === 'UNAVAILABLE')) throw error;
        // The sidecar went away during the job it had begun: the job's failure (500), as a crash.
        if (began) throw new InferenceError('INTERNAL', error.message);
        // Unreachable before the sidecar said anything of the job (a remote sidecar stopped while
        // idle, whose health still read ready): nothing ran, so it is sent again once it is back.
        const wait = UNREACHABLE_RETRY_MS[attempt];
        if (wait === undefined || signal.aborted || this.clock.now() + wait >= readyBy) throw error;
        this.logger.warn(
          `task ${taskId}: the sidecar could not be reached before the job began (${error.message}); ` +
            `sending it again once the sidecar is ready (in ${wait / 1000} s at the earliest)`,
        );
        await this.clock.sleep(wait, signal);
      }
    }
  }

  /**
   * Keeps the sidecar call's duration under its series (quality, or texturing) and this process's
   * profile (engine, device, limit: JobDurationsService); a failure to record is logged, never
   * the job's failure.
   */
  private async recordDuration(series: DurationSeries, seconds: number): Promise<void> {
    try {
      const profile =
        (await this.durations.profile()) ?? `${this.config.inferenceEngine} (no sidecar health)`;
      if (await this.durations.record(series, seconds, profile)) {
        this.logger.log(`job durations now measured on ${profile} (earlier samples dropped)`);
      }
    } catch (error) {
      this.logger.warn(`job duration not recorded: ${errorMessage(error)}`);
    }
  }

  /**
   * After the sidecar's part: makes the web model from the source GLB and marks the task
   * completed; a failure ends it failed (mapped as any job error). A task that has ended
   * (cancelled meanwhile, its files gone with it; or completed, when a crash made Bull run this
   * again) is left as it is; one reset to `queued` by a lapsed lock is completed. Its Redis steps wait out an outage (whileRedisAway).
   * Never throws.
   */
  async finish(payload: WebModelPayload): Promise<JobStatus> {
    const { taskId, startedAt } = payload;
    try {
      const current = await this.whileRedisAway(taskId, () => this.tasks.jobState(taskId));
      // `queued`: reset by the position refresh once the GPU job's lock lapsed; its model is made.
      const status = current?.record.status;
      if (!current || (status !== 'processing' && status !== 'queued')) return 'skipped';
      const modelId = modelIdOf(current.record);
      const { lod } = await this.storage.publishWebModel(modelId);
      return await this.whileRedisAway(taskId, () => this.complete(taskId, modelId, startedAt, payload, lod));
    } catch (error) {
      try {
        return await this.fail(taskId, startedAt, error);
      } catch (failure) {
        this.logger.error(`task ${taskId} could not be marked failed: ${String(failure)}`);
        return 'failed';
      }
    }
  }

  /** processing -> completed with the model's URLs and figures; a task cancelled meanwhile loses its files. */
  private async complete(
    taskId: string,
    modelId: string,
    startedAt: number,
    result: Pick<InferenceResult, 'engine' | 'triangles' | 'bytes' | 'ignored'>,
    lod = false,
  ): Promise<JobStatus> {
    const seconds = (this.clock.now() - startedAt) / 1000;
    const done = await this.lifecycle.apply(taskId, {
      type: 'complete',
      modelPath: this.storage.modelPath(webModelName(modelId)),
      downloadPath: this.storage.modelPath(sourceModelName(modelId)),
      ...(lod ? { lodPath: this.storage.modelPath(lodModelName(modelId)) } : {}),
      generationTime: seconds,
      engine: result.engine,
      triangles: result.triangles,
      ignoredOptions: apiOptionNames(result.ignored),
    });
    if (!done.applied) {
      // Cancelled at the last moment: the lifecycle removed its files.
      this.logger.log(`inference end task=${taskId} duration=${seconds.toFixed(2)}s (discarded: cancelled)`);
      return 'skipped';
    }
    this.logger.log(
      `inference end task=${taskId} duration=${seconds.toFixed(2)}s engine=${result.engine} ` +
        `triangles=${result.triangles} bytes=${result.bytes}`,
    );
    return 'completed';
  }

  /** A graceful stop interrupted the job: back to queued; its job is added again (GenerationProcessor). */
  private async requeueForShutdown(taskId: string): Promise<JobStatus> {
    const requeued = await this.lifecycle.apply(taskId, { type: 'requeue' });
    // Cancelled during the wind-down: finished, so its job must not be added again.
    if (!requeued.applied) return 'skipped';
    this.logger.warn(`task ${taskId} interrupted by shutdown: it will run again`);
    return 'requeued';
  }

  /** processing -> failed with the contract's status and message for the error; no files left. */
  private async fail(taskId: string, startedAt: number, error: unknown): Promise<JobStatus> {
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
    await this.lifecycle.apply(taskId, { type: 'fail', failure });
    return 'failed';
  }

  /**
   * Abandons a task, failed "Internal error" (a job Bull gave up on, e.g. stalled twice): its slot,
   * picture and model files go with it (TaskLifecycle). Never throws.
   */
  async failUnexpectedly(taskId: string, reason: string): Promise<void> {
    this.logger.error(`task ${taskId} failed in the queue: ${reason}`);
    try {
      await this.lifecycle.apply(taskId, { type: 'abandon' });
    } catch (error) {
      this.logger.error(`task ${taskId} could not be marked failed: ${String(error)}`);
    }
  }
}
