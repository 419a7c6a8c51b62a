import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/** One upload waiting for its share of the budget. */
interface Waiter {
  weight: number;
  grant: () => void;
}

/**
 * Serialises the decoding of big pictures in this process (docs/design.md, HTTP contract): every
 * decode holds its picture's megapixels (stored width x height / 1e6; a picture over the whole
 * budget holds all of it) out of DECODE_BUDGET_MP, so a burst of 8192² uploads decodes one or two
 * at a time instead of all at once, and the memory sharp holds stays near the budget's worth
 * (about 4 bytes a pixel for 8-bit RGBA, 8 for 16-bit) whatever the burst. Waiters are served in
 * arrival order (a small picture never overtakes a big one that waits: no starvation); one that
 * waited DECODE_WAIT_S is refused: ApiError 503 decode_busy with Retry-After = the wait in whole
 * seconds (at least 1). Per process: each api process has its own memory to protect.
 */
@Injectable()
export class DecodeGate {
  private held = 0;
  private readonly waiting: Waiter[] = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Megapixels held by decodes running now (for tests and the log). */
  get heldMegapixels(): number {
    return this.held;
  }

  /**
   * Runs `decode` while holding `megapixels` of the budget; releases it however decode ends.
   * Throws ApiError 503 decode_busy (decode not run) when the budget did not free in time.
   */
  async run<T>(megapixels: number, decode: () => Promise<T>): Promise<T> {
    const weight = Math.min(Math.max(megapixels, 0), this.config.decodeBudgetMp);
    await this.acquire(weight);
    try {
      return await decode();
    } finally {
      this.held -= weight;
      this.grantWaiting();
    }
  }

  private acquire(weight: number): Promise<void> {
    if (this.waiting.length === 0 && this.held + weight <= this.config.decodeBudgetMp) {
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
        // A big waiter leaving may let smaller ones behind it go.
        this.grantWaiting();
        const retryAfter = Math.max(1, Math.ceil(this.config.decodeWaitMs / 1000));
        reject(new ApiError('decode_busy', { headers: { 'Retry-After': String(retryAfter) } }));
      }, this.config.decodeWaitMs);
      this.waiting.push(waiter);
    });
  }

  /** Grants waiters in arrival order while the budget allows the first of them. */
  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.held + this.waiting[0].weight <= this.config.decodeBudgetMp) {
      const next = this.waiting.shift() as Waiter;
      this.held += next.weight;
      next.grant();
    }
  }
}
