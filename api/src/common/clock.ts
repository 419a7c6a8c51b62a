import { Injectable } from '@nestjs/common';

export interface TimerHandle {
  cancel(): void;
}

/** Time behind an injectable class, so tests can pin the clock and drive timers by hand. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(timer) };
  }

  /** Resolves after ms, or at once when the signal aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        timer.cancel();
        resolve();
      };
      const timer = this.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
