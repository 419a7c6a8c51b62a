/**
 * The rolling job duration (docs/design.md, Queue): Retry-After of a 503 and, before any job
 * ran, the mean the ETA assumes. The ETA itself (position x mean) is computed in Redis, in
 * REFRESH_POSITIONS_LUA, so every api process publishes the same numbers.
 */

/** How many recent job durations the rolling mean keeps. */
export const DURATION_SAMPLES = 10;

/** Mean of recent durations (seconds), or the fallback before any job has run. */
export function meanDuration(samples: readonly number[], fallbackS: number): number {
  const valid = samples.filter((s) => Number.isFinite(s) && s >= 0);
  if (valid.length === 0) return fallbackS;
  return valid.reduce((sum, s) => sum + s, 0) / valid.length;
}

/** Retry-After for a 503: one mean job duration, whole seconds, 1 to 600. */
export function retryAfterSeconds(meanS: number): number {
  return Math.min(600, Math.max(1, Math.ceil(meanS)));
}

/** Mean duration to assume before any job ran: simulate knows its length; else a minute. */
export function defaultDurationS(engine: string, simulateSeconds: number): number {
  return engine === 'simulate' ? Math.max(1, simulateSeconds) : 60;
}
