import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { JobDurationsService } from './job-durations.service';
import { estimateDurations, meanDuration, presetFits } from './job-durations';
import { DEFAULT_OPTIONS, QUALITIES, QUALITY_PIPELINE_TYPES, type Quality } from './generation-options';
import { type UnusedOptions, unusedByEveryWorker } from './unused-options';
import { WorkerRegistry } from '../workers/worker-registry.service';

/** One quality preset as GET /api/qualities lists it. */
export interface QualityPreset {
  quality: Quality;
  /** TRELLIS.2's pipeline type (QUALITY_PIPELINE_TYPES). */
  pipeline_type: string;
  /** The preset POST /api/generate takes when the field is absent. */
  default: boolean;
  /** False: its measured jobs do not fit JOB_TIMEOUT_S, and a request for it answers 422. */
  offered: boolean;
  /** Seconds a job of this preset is expected to hold the GPU (what the ETA counts). */
  expected_s: number;
  /** Mean of its measured jobs (s); null before one ran on this engine and device. */
  measured_s: number | null;
  /** How many recent jobs were measured (at most DURATION_SAMPLES). */
  measured_jobs: number;
}

/** GET /api/qualities: the presets, where they were measured, and the limit they must fit. */
export interface QualityPresets {
  job_timeout_s: number;
  /** "<engine> on <device>, limit <n> s" under which the jobs were measured; null before any job. */
  measured_on: string | null;
  presets: QualityPreset[];
  /** The options no live worker's engine uses, by kind of task (unusedByEveryWorker). */
  unused_options: UnusedOptions;
}

/** Seconds as the 422 message says them: one decimal under 10 s (a rounded "1 s over a 1 s limit" reads wrong). */
function spoken(seconds: number): string {
  return seconds < 10 ? seconds.toFixed(1) : String(Math.round(seconds));
}

/**
 * The 422 message of a preset that does not fit, naming the measured time that decided it, the
 * limit and the presets still offered, e.g. `Unavailable quality: high takes about 212 s here,
 * over the 180 s job limit; use fast or balanced`; when a faster preset decided it,
 * `Unavailable quality: high (balanced already takes about 170 s here, too close to the 180 s job
 * limit); use fast`; when none is left, `...; no quality fits this job limit here (the owner can
 * raise JOB_TIMEOUT_S)`. "Here": the engine and device that measured it (GET /api/qualities).
 */
export function unavailableQualityMessage(
  quality: Quality,
  refusedBy: { quality: Quality; measuredS: number },
  jobTimeoutS: number,
  offered: readonly Quality[],
): string {
  const seconds = spoken(refusedBy.measuredS);
  const relation = refusedBy.measuredS >= jobTimeoutS ? 'over' : 'too close to';
  const limit = `${relation} the ${jobTimeoutS} s job limit`;
  const why =
    refusedBy.quality === quality
      ? `${quality} takes about ${seconds} s here, ${limit}`
      : `${quality} (${refusedBy.quality} already takes about ${seconds} s here, ${limit})`;
  const instead =
    offered.length > 0
      ? `use ${offered.join(' or ')}`
      : 'no quality fits this job limit here (the owner can raise JOB_TIMEOUT_S)';
  return `Unavailable quality: ${why}; ${instead}`;
}

/**
 * Which quality presets this service offers (docs/design.md, HTTP contract): every preset, until
 * the jobs measured on the running engine and device show one does not fit JOB_TIMEOUT_S
 * (job-durations.ts presetFits); that one is refused before a queue slot is taken rather than run
 * to a 504.
 */
@Injectable()
export class QualityPresetsService {
  constructor(
    private readonly durations: JobDurationsService,
    private readonly registry: WorkerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every preset, offered or not, with its expected and measured seconds. */
  async list(): Promise<QualityPresets> {
    const [samples, nodes, own] = await Promise.all([
      this.durations.samples(),
      // Redis unreadable: the presets answer as before, from this process's own sidecar alone.
      this.registry.nodes().catch(() => []),
      // This process's own report, fresh: its heartbeat may predate its sidecar's first health.
      this.registry.report(),
    ]);
    const estimates = estimateDurations(samples, this.durations.fallbackS);
    const fits = presetFits(samples.byQuality, this.config.jobTimeoutS);
    return {
      job_timeout_s: this.config.jobTimeoutS,
      measured_on: samples.profile,
      presets: QUALITIES.map((quality) => ({
        quality,
        pipeline_type: QUALITY_PIPELINE_TYPES[quality],
        default: quality === DEFAULT_OPTIONS.quality,
        offered: fits[quality].offered,
        expected_s: tenths(estimates.byQuality[quality]),
        measured_s:
          samples.byQuality[quality].length > 0 ? tenths(meanDuration(samples.byQuality[quality], 0)) : null,
        measured_jobs: fits[quality].jobs,
      })),
      unused_options: unusedByEveryWorker([own, ...nodes.filter((node) => node.id !== own.id)]),
    };
  }

  /** The 422 (unavailableQualityMessage) a request for this preset gets, or undefined when it is offered. */
  async refusal(quality: Quality): Promise<ApiError | undefined> {
    const { byQuality } = await this.durations.samples();
    const fits = presetFits(byQuality, this.config.jobTimeoutS);
    const refusedBy = fits[quality].refusedBy;
    if (!refusedBy) return undefined;
    const offered = QUALITIES.filter((q) => fits[q].offered);
    return new ApiError('unavailable_quality', {
      message: unavailableQualityMessage(quality, refusedBy, this.config.jobTimeoutS, offered),
    });
  }
}

/** Seconds to one decimal, as the route shows them. */
function tenths(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
