import { Controller, Get, Res } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Queue } from 'bull';
import type { Response } from 'express';
import { InferenceRepository, type InferenceHealth } from '../inference/inference.repository';
import { GENERATION_QUEUE } from '../tasks/queue/job-names';
import { AdmissionService } from '../tasks/admission/admission.service';
import { RedisService } from '../redis/redis.service';
import { ApiInternalErrorResponse } from '../common/error-body.dto';

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded = redis or inference down/failed (503)' })
  status!: 'ok' | 'degraded';
  @ApiProperty({ example: { up: true, latency_ms: 0.4 } })
  redis!: { up: boolean; latency_ms: number | null; error?: string };
  @ApiProperty({
    example: { state: 'ready', engine: 'inflate', device: 'cpu', vram_used_bytes: 0, vram_total_bytes: 0 },
  })
  inference!: Record<string, unknown>;
  @ApiProperty({ example: { waiting: 2, active: 1, slots_held: 3, capacity: 6 } })
  queue!: Record<string, number> | null;
}

/** Inference states that make the service unable to work (503). */
const INFERENCE_DOWN: readonly InferenceHealth['state'][] = ['down', 'failed'];

export function healthStatusCode(
  redisUp: boolean,
  inferenceState: InferenceHealth['state'] | undefined,
): number {
  if (!redisUp) return 503;
  if (inferenceState === undefined || INFERENCE_DOWN.includes(inferenceState)) return 503;
  return 200;
}

@ApiTags('health')
@ApiInternalErrorResponse()
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly redis: RedisService,
    private readonly inference: InferenceRepository,
    private readonly admission: AdmissionService,
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Redis, inference sidecar and queue state' })
  @ApiOkResponse({
    type: HealthDto,
    description: 'Redis up and the sidecar not down/failed (it may still be loading)',
  })
  @ApiResponse({
    status: 503,
    type: HealthDto,
    description: 'Redis unreachable, or the sidecar down or failed',
  })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
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
        const counts = await this.queue.getJobCounts();
        queue = {
          waiting: counts.waiting,
          active: counts.active,
          slots_held: await this.admission.held(),
          capacity: this.admission.capacity,
        };
      } catch {
        queue = null;
      }
    }
    const code = healthStatusCode(redis.up, inference?.state);
    res.status(code);
    return {
      status: code === 200 ? 'ok' : 'degraded',
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
    };
  }
}
