import type { Clock } from './clock';

/**
 * One measurement (a promise) reused for `ttlMs` by the Clock however often it is asked for, and
 * shared by concurrent callers: the store's listing (ops/store-usage.ts), the model folder's
 * statfs (storage/store-disk-space.ts), Redis's INFO memory (redis/redis-memory.ts).
 * `forgetFailures`: a rejected measurement is dropped at once, so the next call measures again;
 * otherwise it is kept for the TTL like any other (a broken folder is not asked on every request).
 * Either way it is observed here, so a rejection nobody awaits yet is never unhandled.
 */
export class ReusedMeasurement<T> {
  private cached: { at: number; value: Promise<T> } | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly forgetFailures: boolean,
  ) {}

  /** The measurement younger than the TTL, else `measure(now)` (ms since the epoch), kept. */
  get(measure: (now: number) => Promise<T>): Promise<T> {
    const now = this.clock.now();
    if (this.cached === undefined || now - this.cached.at >= this.ttlMs) {
      const value = measure(now);
      this.cached = { at: now, value };
      value.catch(() => {
        if (this.forgetFailures && this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  /** Drops the kept measurement: the next get() measures again. */
  forget(): void {
    this.cached = undefined;
  }
}
