import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { QUALITIES, type Quality } from '../../generate/generation-options';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import {
  DURATION_SAMPLES,
  DURATION_TTL_S,
  type DurationEstimates,
  type DurationSamples,
  defaultDurationS,
  estimateDurations,
  meanDuration,
} from './job-durations';
import { RECORD_DURATION_LUA } from './job-durations.lua';

/**
 * The GPU-part durations of recent jobs, per quality preset, shared by all api processes through
 * Redis (job-durations.ts says what they decide). A duration is the sidecar call alone (what
 * JOB_TIMEOUT_S limits and what holds the GPU), not the wait for a ready sidecar nor the web
 * optimisation after it.
 */
@Injectable()
export class JobDurationsService {
  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Seconds assumed before any job ran (SIMULATE_SECONDS for simulate, else 60). */
  get fallbackS(): number {
    return defaultDurationS(this.config.inferenceEngine, this.config.simulateSeconds);
  }

  /**
   * Keeps one job's duration (s) under its quality, measured on `profile` ("<engine> on
   * <device>"); a timed-out job is recorded as the limit. Resolves true when the profile changed
   * and the older samples (another GPU or engine) were dropped.
   */
  async record(quality: Quality, seconds: number, profile: string): Promise<boolean> {
    const changed = await this.redis.client.eval(
      RECORD_DURATION_LUA,
      2 + QUALITIES.length,
      RedisKeys.durationProfile,
      RedisKeys.durations(quality),
      ...QUALITIES.map((q) => RedisKeys.durations(q)),
      profile,
      seconds.toFixed(3),
      DURATION_SAMPLES,
      DURATION_TTL_S,
    );
    return Number(changed) === 1;
  }

  /** The kept samples, per quality, and the profile that measured them. */
  async samples(): Promise<DurationSamples> {
    const pipeline = this.redis.client.pipeline().get(RedisKeys.durationProfile);
    for (const quality of QUALITIES) pipeline.lrange(RedisKeys.durations(quality), 0, -1);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error !== null);
    if (failed?.[0]) throw failed[0];
    const byQuality = {} as Record<Quality, number[]>;
    QUALITIES.forEach((quality, i) => {
      byQuality[quality] = ((replies[i + 1]?.[1] as string[] | undefined) ?? []).map(Number);
    });
    const profile = replies[0]?.[1];
    return { profile: typeof profile === 'string' ? profile : null, byQuality };
  }

  /** Expected seconds per quality (estimateDurations), for the ETA. */
  async estimates(): Promise<DurationEstimates> {
    return estimateDurations(await this.samples(), this.fallbackS);
  }

  /** Mean of every kept duration (s), or fallbackS before any job ran: one slot's expected wait. */
  async mean(): Promise<number> {
    const { byQuality } = await this.samples();
    return meanDuration(
      QUALITIES.flatMap((q) => byQuality[q]),
      this.fallbackS,
    );
  }
}
