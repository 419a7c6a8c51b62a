import { QUALITIES, type Quality } from './generation-options';

/**
 * Job durations (docs/design.md, Queue): measured per quality preset on the running engine and
 * device, they give the ETA of each waiting task (computed in Redis, REFRESH_POSITIONS_LUA, so
 * every api process publishes the same numbers), the Retry-After of a 503, and which presets
 * fit the job limit (presetFits).
 */

/** How many recent job durations each quality keeps. */
export const DURATION_SAMPLES = 10;
/** Samples are dropped a day after the newest one: a refused preset gets no samples, so it is tried again a day later. */
export const DURATION_TTL_S = 24 * 3600;
/**
 * A preset whose measured mean reaches this share of JOB_TIMEOUT_S is refused: its jobs end at
 * or near the limit (a 504 after the whole wait), and one slower run than the mean would.
 */
export const FIT_SHARE = 0.9;

/**
 * The series of kept durations: one per quality preset of a generation, and one for texturing
 * jobs (POST /api/texture), whose length has nothing to do with a preset's (a mesh painted by
 * the inflate engine takes seconds where its generation takes a fraction of one).
 */
export const DURATION_SERIES = [...QUALITIES, 'texture'] as const;
export type DurationSeries = (typeof DURATION_SERIES)[number];

/** Recent GPU-part durations (s) of one engine and device, per quality and of texturing, newest first. */
export interface DurationSamples {
  /** "<engine> on <device>" of the sidecar that ran them (e.g. "trellis2 on cuda:0 (NVIDIA GeForce RTX 4090)"); null before any job. */
  profile: string | null;
  byQuality: Record<Quality, number[]>;
  /** Texturing jobs' durations. */
  texture: number[];
}

/**
 * Expected seconds of one job: a generation per quality, a generation whose quality is not known
 * (`any`), and a texturing job.
 */
export interface DurationEstimates {
  byQuality: Record<Quality, number>;
  any: number;
  texture: number;
}

/** Mean of recent durations (seconds), or the fallback before any job has run. */
export function meanDuration(samples: readonly number[], fallbackS: number): number {
  const valid = validSamples(samples);
  if (valid.length === 0) return fallbackS;
  return valid.reduce((sum, s) => sum + s, 0) / valid.length;
}

function validSamples(samples: readonly number[]): number[] {
  return samples.filter((s) => Number.isFinite(s) && s >= 0);
}

/**
 * Expected seconds per quality: its own samples' mean; a quality not measured yet takes the mean
 * of every generation's sample (an engine that ignores quality runs all presets alike), and before
 * any job ran, fallbackS. A texturing job: the mean of texturing samples, else that of any generation.
 */
export function estimateDurations(samples: DurationSamples, fallbackS: number): DurationEstimates {
  const any = meanDuration(
    QUALITIES.flatMap((q) => samples.byQuality[q]),
    fallbackS,
  );
  const byQuality = {} as Record<Quality, number>;
  for (const quality of QUALITIES) byQuality[quality] = meanDuration(samples.byQuality[quality], any);
  return { byQuality, any, texture: meanDuration(samples.texture, any) };
}

/**
 * The mean of every kept job of either kind (s), or fallbackS before any job ran: what one slot
 * is expected to take, whatever the next job is (the Retry-After of a refusal).
 */
export function meanOfAllJobs(samples: DurationSamples, fallbackS: number): number {
  return meanDuration([...QUALITIES.flatMap((q) => samples.byQuality[q]), ...samples.texture], fallbackS);
}

/** Whether a preset is offered, and why not. */
export interface PresetFit {
  offered: boolean;
  /** Mean of its own measured jobs (s); null while fewer than MIN_FIT_JOBS were measured. */
  measuredS: number | null;
  /** How many of its recent jobs were measured. */
  jobs: number;
  /** Not offered: the preset whose measured mean decided it (itself, or a faster one), and that mean (s). */
  refusedBy?: { quality: Quality; measuredS: number };
}

/**
 * A preset needs this many measured jobs before it can be refused: one stalled job (a hang, not
 * the preset's own speed) must not take a preset away for a day.
 */
export const MIN_FIT_JOBS = 2;

/**
 * Which presets fit the job limit (QUALITIES are ordered fastest first). A preset is refused when
 * its own measured mean reaches FIT_SHARE of jobTimeoutS, or a faster preset's does (a higher
 * pipeline type never takes less). The fastest preset has no faster one to point people to, so
 * it is refused only when its mean reaches the limit itself: jobs that mostly fit beat none. A
 * timed-out job counts as the limit (it ran at least that long). Fewer than MIN_FIT_JOBS
 * measured: that preset's own mean decides nothing yet.
 */
export function presetFits(
  byQuality: Readonly<Record<Quality, readonly number[]>>,
  jobTimeoutS: number,
): Record<Quality, PresetFit> {
  const fits = {} as Record<Quality, PresetFit>;
  const margin = FIT_SHARE * jobTimeoutS;
  let refusedBy: PresetFit['refusedBy'];
  /** The slowest measured mean of the faster presets: a slower preset takes at least as long. */
  let slowestFaster: { quality: Quality; measuredS: number } | undefined;
  QUALITIES.forEach((quality, index) => {
    const valid = validSamples(byQuality[quality]);
    const measuredS = valid.length >= MIN_FIT_JOBS ? meanDuration(valid, 0) : null;
    if (!refusedBy && slowestFaster && slowestFaster.measuredS >= margin) refusedBy = slowestFaster;
    if (!refusedBy && measuredS !== null && measuredS >= (index === 0 ? jobTimeoutS : margin)) {
      refusedBy = { quality, measuredS };
    }
    if (measuredS !== null && (!slowestFaster || measuredS > slowestFaster.measuredS)) {
      slowestFaster = { quality, measuredS };
    }
    fits[quality] = {
      offered: refusedBy === undefined,
      measuredS,
      jobs: valid.length,
      ...(refusedBy ? { refusedBy } : {}),
    };
  });
  return fits;
}

/** Retry-After for a 503 or 429: one mean job duration (meanOfAllJobs), whole seconds, 1 to 600. */
export function retryAfterSeconds(meanS: number): number {
  return Math.min(600, Math.max(1, Math.ceil(meanS)));
}

/** Mean duration to assume before any job ran: simulate knows its length; else a minute. */
export function defaultDurationS(engine: string, simulateSeconds: number): number {
  return engine === 'simulate' ? Math.max(1, simulateSeconds) : 60;
}
