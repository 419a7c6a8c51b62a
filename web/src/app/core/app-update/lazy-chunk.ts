import { isChunkLoadError } from './chunk-load-error';
import type { ChunkVerdict } from './chunk-verdict';
import type { Connectivity } from './stale-build';

/**
 * The waits between tries of a chunk the server has (or did not answer about while the browser
 * believes it is online): about two minutes in all, then the part stays away.
 */
export const CHUNK_RETRY_DELAYS_MS: readonly number[] = [
  1000, 2000, 4000, 8000, 15_000, 30_000, 30_000, 30_000,
];

/** What loadChunk needs of StaleBuild: its verdict on a failed chunk, and the network's events. */
export interface ChunkJudge {
  judge(error: unknown): Promise<ChunkVerdict>;
  readonly connectivity: Connectivity;
}

/** Options of loadChunk. */
export interface LoadChunkOptions {
  /** Stops trying (the component that wanted the chunk went away). */
  signal?: AbortSignal;
  /** The waits between tries (CHUNK_RETRY_DELAYS_MS). */
  delaysMs?: readonly number[];
}

/**
 * Loads a lazily loaded part of the app (`load`: a dynamic import()) and, unlike a `@defer` block
 * (whose failure Angular keeps for good), tries again when it failed for want of a network:
 * after the browser's `online` event while it is offline, else after each of `delaysMs`. A chunk
 * the server no longer has (StaleBuild's verdict `gone`: the app was updated; StaleBuild then
 * shows its notice) is not tried again. Resolves the loaded value, or undefined once it gives up
 * or is aborted; an error that is not a failed chunk load is thrown as it is.
 */
export async function loadChunk<T>(
  load: () => Promise<T>,
  judge: ChunkJudge,
  { signal, delaysMs = CHUNK_RETRY_DELAYS_MS }: LoadChunkOptions = {},
): Promise<T | undefined> {
  let tries = 0;
  for (;;) {
    try {
      return await load();
    } catch (error) {
      if (!isChunkLoadError(error)) throw error;
      if (signal?.aborted) return undefined;
      const verdict = await judge.judge(error);
      if (verdict === 'gone' || signal?.aborted) return undefined;
      // Offline: nothing to count, the next try waits for the network (no polling meanwhile).
      const offline = verdict === 'unreachable' && !judge.connectivity.online();
      if (!offline && tries >= delaysMs.length) return undefined;
      const delay = offline ? undefined : delaysMs[tries++];
      if (!(await pause(delay, judge.connectivity, signal))) return undefined;
    }
  }
}

/**
 * Waits for `delayMs` (undefined: no timer) or the next `online` event, whichever comes first;
 * resolves false when aborted.
 */
function pause(
  delayMs: number | undefined,
  connectivity: Connectivity,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const finish = (value: boolean): void => {
      clearTimeout(timer);
      stopListening();
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = (): void => finish(false);
    const timer = delayMs === undefined ? undefined : setTimeout(() => finish(true), delayMs);
    const stopListening = connectivity.onOnline(() => finish(true));
    signal?.addEventListener('abort', onAbort);
  });
}
