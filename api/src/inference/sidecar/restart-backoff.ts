import type { SidecarOptions } from './sidecar';

export type RestartBackoffOptions = Pick<SidecarOptions, 'backoffInitialMs' | 'backoffMaxMs' | 'healthyResetMs'>;

/**
 * The delay before respawning a crashed sidecar: initial, doubled at each crash, capped; back to
 * the initial delay once a process stayed healthy for healthyResetMs before it crashed.
 */
export class RestartBackoff {
  private delayMs: number;
  private healthySince: number | null = null;

  constructor(private readonly options: RestartBackoffOptions) {
    this.delayMs = options.backoffInitialMs;
  }

  /** A fresh process started: it has not been healthy yet. */
  spawned(): void {
    this.healthySince = null;
  }

  /** The process answered ready at `now` (clock ms); the first such time counts. */
  healthy(now: number): void {
    this.healthySince ??= now;
  }

  /** The delay (ms) before respawning after a crash at `now`. */
  nextDelay(now: number): number {
    if (this.healthySince !== null && now - this.healthySince >= this.options.healthyResetMs) {
      this.delayMs = this.options.backoffInitialMs;
    }
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.backoffMaxMs);
    return delay;
  }
}
