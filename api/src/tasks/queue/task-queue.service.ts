import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { ApiError, CANCELLED_HTTP_STATUS, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { AdmissionService } from '../admission/admission.service';
import { JobDurationsService } from './job-durations.service';
import { retryAfterSeconds } from './job-durations';
import { GenerationService } from '../run/generation.service';
import { GENERATION_QUEUE, JobName, type JobPayloads } from './job-names';
import type { TaskState } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';

/** How often leaked admission slots are looked for. */
const RECONCILE_EVERY_MS = 60_000;

/** Admission, enqueueing and cancellation: what the HTTP controllers ask of the queue. */
@Injectable()
export class TaskQueueService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskQueueService.name);
  private reconcileTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
    private readonly admission: AdmissionService,
    private readonly tasks: TaskStore,
    private readonly durations: JobDurationsService,
    private readonly generation: GenerationService,
    private readonly redis: RedisService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // Not awaited: the api starts (and reports redis down in /api/health) without Redis.
    void this.reconcile();
    this.reconcileTimer = setInterval(() => void this.reconcile(), RECONCILE_EVERY_MS);
    this.reconcileTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.reconcileTimer);
  }

  private async reconcile(): Promise<void> {
    try {
      const dropped = await this.admission.reconcile();
      if (dropped > 0) this.logger.warn(`released ${dropped} queue slot(s) held by no live task`);
    } catch (error) {
      this.logger.warn(
        `admission reconcile failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Takes a queue slot for a new task id, or throws 503 with Retry-After. */
  async reserve(): Promise<string> {
    const taskId = randomUUID();
    if (!(await this.admission.reserve(taskId))) {
      const retryAfter = retryAfterSeconds(await this.durations.mean());
      throw new ApiError(503, ErrorMessage.busy, { 'Retry-After': String(retryAfter) });
    }
    return taskId;
  }

  async release(taskId: string): Promise<void> {
    await this.admission.release(taskId);
  }

  /** Stores the task and its image, enqueues the job; returns the state to answer with. */
  async enqueue(taskId: string, image: Buffer): Promise<TaskState> {
    try {
      await this.tasks.create(taskId, image);
      const payload: JobPayloads[JobName.Generate] = { taskId };
      await this.queue.add(JobName.Generate, payload, {
        jobId: taskId,
        removeOnComplete: true,
        removeOnFail: true,
        // The second attempt is for a job interrupted by a graceful api shutdown.
        attempts: 2,
      });
    } catch (error) {
      await this.admission.release(taskId).catch(() => undefined);
      throw error;
    }
    await this.generation.refreshPositions();
    return (
      (await this.tasks.get(taskId)) ?? {
        seq: 1,
        record: { task_id: taskId, status: 'queued', created_at: '', updated_at: '' },
      }
    );
  }

  /**
   * Cancels a waiting task (its Bull job is removed) or a running one (its job is aborted on
   * whichever process runs it). Either way the task ends `failed` with 409 "Task cancelled".
   */
  async cancel(taskId: string): Promise<TaskState> {
    const state = await this.tasks.get(taskId);
    if (!state) throw new ApiError(404, ErrorMessage.taskNotFound);
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
    if (!removed) {
      await this.redis.client.publish(RedisKeys.cancelChannel, taskId);
    }
    await this.tasks.deleteImage(taskId);
    await this.generation.refreshPositions();
    const after = await this.tasks.get(taskId);
    if (!after) throw new ApiError(404, ErrorMessage.taskNotFound);
    if (seq <= 0 && after.record.cancelled !== true) throw new ApiError(409, ErrorMessage.alreadyFinished);
    this.logger.log(`task ${taskId} cancelled (${removed ? 'was waiting' : 'was running'})`);
    return after;
  }
}
