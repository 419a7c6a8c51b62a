import { Injectable } from '@nestjs/common';
import { InferenceRepository, type InferenceHealth } from '../inference/inference.repository';
import { RedisService } from '../redis/redis.service';
import { TaskQueueService } from '../tasks/queue/task-queue.service';
import type { HealthDto } from './health.dto';

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
export interface HealthReport {
  httpStatus: number;
  body: HealthDto;
}

/** Gathers Redis (a timed PING), the inference sidecar's last health and the queue's counts. */
@Injectable()
export class HealthService {
  constructor(
    private readonly redis: RedisService,
    private readonly inference: InferenceRepository,
    private readonly queue: TaskQueueService,
  ) {}

  /** Never throws: what cannot be read is reported down (queue: null without Redis). */
  async check(): Promise<HealthReport> {
    let redis: HealthDto['redis'];
    try {
      redis = { up: true, latency_ms: Math.round((await this.redis.ping()) * 100) / 100 };
    } catch (error) {
      redis = { up: false, latency_ms: null, error: error instanceof Error ? error.message : String(error) };
    }
    let inference: InferenceHealth | undefined;
    let inferenceError: string | undefined;
    try {
      inference = await this.inference.health();
    } catch (error) {
      inferenceError = error instanceof Error ? error.message : String(error);
    }
    let queue: HealthDto['queue'] = null;
    if (redis.up) {
      try {
        queue = { ...(await this.queue.counts()) };
      } catch {
        queue = null;
      }
    }
    const httpStatus = healthStatusCode(redis.up, inference?.state);
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
              message: inference.message,
              managed: inference.managed,
              pid: inference.pid,
              restarts: inference.restarts,
            }
          : { state: 'down', error: inferenceError ?? 'no health report' },
        queue,
      },
    };
  }
}
