import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { type InferenceHealth, InferenceRepository } from '../../inference/inference.repository';
import { QUALITIES, type Quality } from './generation-options';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import {
  DURATION_SAMPLES,
  DURATION_SERIES,
  DURATION_TTL_S,
  type DurationEstimates,
  type DurationSamples,
  type DurationSeries,
  defaultDurationS,
  estimateDurations,
  meanOfAllJobs,
} from './job-durations';
import { RECORD_DURATION_LUA } from './job-durations.lua';

/**
 * The GPU-part durations of recent jobs, per quality preset, shared by all api processes through
 * Redis (job-durations.ts says what they decide). A duration is the sidecar call alone (what
 * JOB_TIMEOUT_S limits and what holds the GPU), not the wait for a ready sidecar nor the web
 * optimisation after it.
 *
 * Samples hold for one profile: the engine, the device and JOB_TIMEOUT_S they were measured
 * under (a timed-out job is recorded as the limit, so a new limit makes them stale too). A job
 * under another profile drops them (RECORD_DURATION_LUA); a process whose own sidecar runs under
 * another profile reads none (holdsHere: an engine switched between starts must not inherit the
 * old engine's times, nor be refused by them before its first job).
 */
@Injectable()
export class JobDurationsService {
  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    // Absent in an api-only process (KILN_ROLE=api): it reads the samples of whoever measured them.
    @Optional() private readonly inference?: InferenceRepository,
  ) {}

  /** Seconds assumed before any job ran (SIMULATE_SECONDS for simulate, else 60). */
  get fallbackS(): number {
    return defaultDurationS(this.config.inferenceEngine, this.config.simulateSeconds);
  }

  /**
   * This process's profile, e.g. "trellis2 on cuda:0 (NVIDIA GeForce RTX 4090), limit 180 s",
   * from its sidecar's health; null without a sidecar (an api-only process).
   */
  async profile(): Promise<string | null> {
    const health = await this.health();
    return health ? this.profileOf(health) : null;
  }

  private health(): Promise<InferenceHealth | undefined> {
    return this.inference ? this.inference.health().catch(() => undefined) : Promise.resolve(undefined);
  }

  private engineOf(health: InferenceHealth): string {
    return health.engine || this.config.inferenceEngine;
  }

  private profileOf(health: InferenceHealth): string {
    return `${this.engineOf(health)} on ${health.device || 'an unknown device'}${this.limitSuffix}`;
  }

  private get limitSuffix(): string {
    return `, limit ${this.config.jobTimeoutS} s`;
  }

  /**
   * Whether samples measured under `stored` hold for this process: with its sidecar ready or
   * busy, the same profile; while it starts (device not known yet), the same engine and limit;
   * without a sidecar (api-only), always.
   */
  private async holdsHere(stored: string): Promise<boolean> {
    const health = await this.health();
    if (!health) return true;
    if (health.state === 'ready' || health.state === 'busy') return stored === this.profileOf(health);
    return stored.startsWith(`${this.engineOf(health)} on `) && stored.endsWith(this.limitSuffix);
  }

  /**
   * Keeps one job's duration (s) under its series (a generation's quality, or `texture`),
   * measured on `profile` (profile()); a timed-out job is recorded as the limit. Resolves true
   * when the profile changed and the older samples were dropped.
   */
  async record(series: DurationSeries, seconds: number, profile: string): Promise<boolean> {
    const changed = await this.redis.client.eval(
      RECORD_DURATION_LUA,
      2 + DURATION_SERIES.length,
      RedisKeys.durationProfile,
      RedisKeys.durations(series),
      ...DURATION_SERIES.map((q) => RedisKeys.durations(q)),
      profile,
      seconds.toFixed(3),
      DURATION_SAMPLES,
      DURATION_TTL_S,
    );
    return Number(changed) === 1;
  }

  /**
   * The kept samples, per quality and of texturing, and their profile; none (and a null profile)
   * when they do not hold for this process (holdsHere).
   */
  async samples(): Promise<DurationSamples> {
    const pipeline = this.redis.client.pipeline().get(RedisKeys.durationProfile);
    for (const series of DURATION_SERIES) pipeline.lrange(RedisKeys.durations(series), 0, -1);
    const replies = await pipeline.exec();
    const failed = (replies ?? []).find(([error]) => error !== null);
    if (failed?.[0]) throw failed[0];
    const stored = replies?.[0]?.[1];
    const profile = typeof stored === 'string' ? stored : null;
    const stale = profile !== null && !(await this.holdsHere(profile));
    const listOf = (series: DurationSeries): number[] => {
      if (stale) return [];
      const list = replies?.[DURATION_SERIES.indexOf(series) + 1]?.[1] as string[] | undefined;
      return (list ?? []).map(Number);
    };
    const byQuality = {} as Record<Quality, number[]>;
    for (const quality of QUALITIES) byQuality[quality] = listOf(quality);
    return { profile: stale ? null : profile, byQuality, texture: listOf('texture') };
  }

  /** Expected seconds per quality and of a texturing job (estimateDurations), for the ETA. */
  async estimates(): Promise<DurationEstimates> {
    return estimateDurations(await this.samples(), this.fallbackS);
  }

  /** Mean of every kept duration of either kind (s), or fallbackS before any job ran: one slot's expected wait. */
  async mean(): Promise<number> {
    return meanOfAllJobs(await this.samples(), this.fallbackS);
  }
}
