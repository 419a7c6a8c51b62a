/** Time, behind a class so that unit tests can drive timers by hand. */
export interface TimerHandle {
  cancel(): void;
}

export abstract class Clock {
  abstract now(): number;
  abstract setTimer(callback: () => void, ms: number): TimerHandle;

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

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(timer) };
  }
}
