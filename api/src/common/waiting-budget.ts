import type { ApiError } from './api-error';

/** One caller waiting for its share of the budget. */
interface Waiter {
  weight: number;
  grant: () => void;
}

/**
 * A budget of some resource (megapixels being decoded, intake processes) held by running work:
 * each run holds its weight (capped at the whole budget, so an oversized run goes alone) until it
 * ends. Waiters are served in arrival order (a light one never overtakes a heavy one that waits:
 * no starvation); one that waited `waitMs` is refused with `refusal()` and never runs.
 * Per process: each api process has its own memory and cores to protect.
 */
export class WaitingBudget {
  private held = 0;
  private readonly waiting: Waiter[] = [];

  /**
   * budget: the total weight held at once (> 0); waitMs: the longest wait before refusal;
   * refusal: the error a waiter that timed out is rejected with (e.g. 503 with Retry-After).
   */
  constructor(
    private readonly budget: number,
    private readonly waitMs: number,
    private readonly refusal: () => ApiError,
  ) {}

  /** Weight held by runs going on now (for tests and the log). */
  get heldWeight(): number {
    return this.held;
  }

  /**
   * Runs `work` while holding `weight` of the budget; releases it however work ends.
   * Rejects with refusal() (work not run) when the budget did not free within waitMs.
   */
  async run<T>(weight: number, work: () => Promise<T>): Promise<T> {
    const held = Math.min(Math.max(weight, 0), this.budget);
    await this.acquire(held);
    try {
      return await work();
    } finally {
      this.held -= held;
      this.grantWaiting();
    }
  }

  private acquire(weight: number): Promise<void> {
    if (this.waiting.length === 0 && this.held + weight <= this.budget) {
      this.held += weight;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        weight,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        // A heavy waiter leaving may let lighter ones behind it go.
        this.grantWaiting();
        reject(this.refusal());
      }, this.waitMs);
      this.waiting.push(waiter);
    });
  }

  /** Grants waiters in arrival order while the budget allows the first of them. */
  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.held + this.waiting[0].weight <= this.budget) {
      const next = this.waiting.shift() as Waiter;
      this.held += next.weight;
      next.grant();
    }
  }
}

/** Retry-After for a refusal after waiting `waitMs`: the wait in whole seconds, at least 1. */
export function retryAfterWait(waitMs: number): Record<string, string> {
  return { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) };
}
