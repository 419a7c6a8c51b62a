import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { InferenceRepository, type InferenceHealth } from '../inference/inference.repository';
import { RedisMemory } from '../redis/redis-memory';
import { RedisService } from '../redis/redis.service';
import { StoreDiskSpace } from '../storage/store-disk-space';
import { TaskQueueService } from '../tasks/queue/task-queue.service';
import { type NodeReport, WorkerRegistry } from '../tasks/workers/worker-registry.service';
import type { AdminHealthDto, HealthDto } from './health.dto';
import { errorMessage } from '../common/error-message';

/** Inference states that make the service unable to work (503). */
const INFERENCE_DOWN: readonly InferenceHealth['state'][] = ['down', 'failed'];

/** 200 while Redis answers and the sidecar is neither down nor failed (loading is fine), else 503. */
export function healthStatusCode(
  redisUp: boolean,
  inferenceState: InferenceHealth['state'] | undefined,
): number {
  if (!redisUp) return 503;
  if (inferenceState === undefined || INFERENCE_DOWN.includes(inferenceState)) return 503;
  return 200;
}

/** The health report and the HTTP status it is answered with. */
export interface HealthReport<Body extends HealthDto = HealthDto> {
  httpStatus: number;
  body: Body;
}

/** An api-only process (KILN_ROLE=api) can work while Redis answers and one live worker is up. */
export function apiOnlyHealthStatusCode(redisUp: boolean, workers: readonly NodeReport[]): number {
  const working = workers.some((node) => node.worker?.state === 'idle' || node.worker?.state === 'busy');
  return redisUp && working ? 200 : 503;
}

/**
 * Gathers Redis (a timed PING), this process's inference sidecar's last health (none in an
 * api-only process), the queue's counts, every live worker on this Redis (WorkerRegistry) and
 * the model folder's disk against MIN_FREE_DISK_MB (StoreDiskSpace; a low one is said, never a 503).
 * Two readers: the public GET /api/health (check: no task ids, since anyone may poll it) and the
 * operator's GET /api/admin/health (checkForAdmin: each busy worker's task id too).
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly queue: TaskQueueService,
    private readonly registry: WorkerRegistry,
    private readonly storeMemory: RedisMemory,
    private readonly diskSpace: StoreDiskSpace,
    @Optional() private readonly inference?: InferenceRepository,
  ) {}

  /** The public report: each worker without the task it runs. Never throws (see checkForAdmin). */
  async check(): Promise<HealthReport> {
    const { httpStatus, body } = await this.checkForAdmin();
    const workers = body.workers.map(({ task_id: _taskId, ...worker }) => worker);
    return { httpStatus, body: { ...body, workers } };
  }

  /**
   * The operator's report: the public one with each worker's running task (`task_id`, null when
   * idle). Never throws: what cannot be read is reported down (queue: null without Redis).
   */
  async checkForAdmin(): Promise<HealthReport<AdminHealthDto>> {
    let redis: HealthDto['redis'];
    try {
      const latencyMs = Math.round((await this.redis.ping()) * 100) / 100;
      redis = { up: true, latency_ms: latencyMs, full: await this.storeMemory.isFull() };
    } catch (error) {
      redis = { up: false, latency_ms: null, full: false, error: errorMessage(error) };
    }
    let inference: InferenceHealth | undefined;
    let inferenceError: string | undefined;
    try {
      if (this.inference) inference = await this.inference.health();
    } catch (error) {
      inferenceError = errorMessage(error);
    }
    let workers: NodeReport[] = [];
    if (redis.up)
      workers = (await this.registry.nodes().catch(() => [])).filter((node) => node.worker !== null);
    let queue: HealthDto['queue'] = null;
    if (redis.up) {
      try {
        queue = { ...(await this.queue.counts()) };
      } catch {
        queue = null;
      }
    }
    const disk = await this.disk();
    const httpStatus = this.inference
      ? healthStatusCode(redis.up, inference?.state)
      : apiOnlyHealthStatusCode(redis.up, workers);
    return {
      httpStatus,
      body: {
        status: httpStatus === 200 ? 'ok' : 'degraded',
        redis,
        inference: inference
          ? {
              state: inference.state,
              engine: inference.engine,
              device: inference.device,
              vram_used_bytes: inference.vramUsedBytes,
              vram_total_bytes: inference.vramTotalBytes,
              jobs_done: inference.jobsDone,
              texturing: inference.texturing,
              message: inference.message,
              managed: inference.managed,
              pid: inference.pid,
              restarts: inference.restarts,
            }
          : this.inference
            ? { state: 'down', error: inferenceError ?? 'no health report' }
            : { state: 'none', message: 'api-only process (KILN_ROLE=api): jobs run on the workers listed' },
        queue,
        role: this.config.role,
        disk,
        workers: workers.flatMap((node) =>
          node.worker === null
            ? []
            : [
                {
                  id: node.id,
                  host: node.host,
                  pid: node.pid,
                  role: node.role,
                  seen_at: node.seen_at,
                  ...node.worker,
                },
              ],
        ),
      },
    };
  }

  /** The model folder's disk against MIN_FREE_DISK_MB; null for a bucket store. Never throws. */
  private async disk(): Promise<HealthDto['disk']> {
    const minFree = this.diskSpace.minFreeBytes;
    try {
      const figures = await this.diskSpace.figures();
      if (figures === undefined) return null;
      return { state: figures.low ? 'low' : 'ok', min_free_bytes: minFree };
    } catch {
      return { state: 'unknown', min_free_bytes: minFree };
    }
  }
}
