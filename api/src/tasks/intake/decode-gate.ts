import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { WaitingBudget, retryAfterWait } from '../../common/waiting-budget';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

/**
 * Serialises the decoding of big pictures in this process (docs/design.md, HTTP contract): every
 * decode holds its picture's megapixels (stored width x height / 1e6; a picture over the whole
 * budget holds all of it) out of DECODE_BUDGET_MP, so a burst of 8192² uploads decodes one or two
 * at a time instead of all at once, and the memory sharp holds stays near the budget's worth
 * (about 4 bytes a pixel for 8-bit RGBA, 8 for 16-bit) whatever the burst. Waiters are served in
 * arrival order (WaitingBudget); one that waited DECODE_WAIT_S is refused: ApiError 503
 * decode_busy with Retry-After = the wait in whole seconds (at least 1).
 */
@Injectable()
export class DecodeGate {
  private readonly budget: WaitingBudget;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.budget = new WaitingBudget(
      config.decodeBudgetMp,
      config.decodeWaitMs,
      () => new ApiError('decode_busy', { headers: retryAfterWait(config.decodeWaitMs) }),
    );
  }

  /** Megapixels held by decodes running now (for tests and the log). */
  get heldMegapixels(): number {
    return this.budget.heldWeight;
  }

  /**
   * Runs `decode` while holding `megapixels` of the budget; releases it however decode ends.
   * Throws ApiError 503 decode_busy (decode not run) when the budget did not free in time.
   */
  run<T>(megapixels: number, decode: () => Promise<T>): Promise<T> {
    return this.budget.run(megapixels, decode);
  }
}
