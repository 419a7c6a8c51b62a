import { ErrorHandler, Injectable, inject, signal } from '@angular/core';

import { isChunkLoadError } from './chunk-load-error';
import {
  ChunkVerdict,
  FailedLoad,
  chunkUrlsToProbe,
  isFailedScriptLoad,
  judgeChunkFailure,
} from './chunk-verdict';

/** How many failed script loads are remembered (resource timing's own buffer may be full). */
const FAILED_LOADS_KEPT = 20;

/** The page's connection events, a seam for tests. */
export interface Connectivity {
  /** Whether the browser believes it is online (navigator.onLine). */
  online(): boolean;
  /** Calls `listener` on each `online` event; returns how to stop. */
  onOnline(listener: () => void): () => void;
}

const browserConnectivity: Connectivity = {
  online: () => globalThis.navigator?.onLine ?? true,
  onOnline(listener) {
    globalThis.addEventListener?.('online', listener);
    return () => globalThis.removeEventListener?.('online', listener);
  },
};

/**
 * Whether this page is an older build than the server now serves, as seen by a lazily loaded
 * chunk that could not be loaded. A failed chunk alone does not say so (a phone that lost its
 * network for a moment fails the same way), so the server is asked (chunk-verdict.ts): only a
 * chunk it no longer has, or an index.html of another build, marks the page stale. The shell
 * then shows StaleBuildNotice (a message and a reload) instead of a blank area.
 */
@Injectable({ providedIn: 'root' })
export class StaleBuild {
  private readonly staleSignal = signal(false);
  /** True once a chunk was found gone; stays true until the page reloads. */
  readonly stale = this.staleSignal.asReadonly();
  /** The network, replaced in tests. */
  connectivity: Connectivity = browserConnectivity;
  /** fetch, replaced in tests. */
  fetchFn: typeof fetch = (...args) => fetch(...args);
  /** Script loads that failed, seen by a PerformanceObserver (it still hears when the buffer is full). */
  private readonly failedLoads: FailedLoad[] = [];
  /** The running page's build: its module scripts, as index.html names them (tests set it). */
  build = [...(globalThis.document?.querySelectorAll('script[type=module][src]') ?? [])]
    .map((script) => script.getAttribute('src') ?? '')
    .sort()
    .join(' ');

  constructor() {
    if (typeof PerformanceObserver === 'undefined') return;
    try {
      new PerformanceObserver((list) => this.keep(list.getEntries())).observe({ type: 'resource' });
    } catch {
      // No resource timing here: the message's URL and index.html still tell.
    }
  }

  /**
   * Looks at an error; returns whether it was a failed chunk load. For one, the server is asked
   * (in the background) whether the chunk is gone; while it cannot be reached, it is asked again
   * once the browser is back online, since a `@defer` block that failed cannot load again and a
   * build that changed meanwhile deserves the notice.
   */
  notice(error: unknown): boolean {
    if (!isChunkLoadError(error)) return false;
    void this.judge(error).then((verdict) => {
      if (verdict !== 'unreachable') return;
      const stop = this.connectivity.onOnline(() => {
        stop();
        void this.judge(error);
      });
    });
    return true;
  }

  /** Asks the server about the chunk `error` failed to load; a `gone` verdict marks the page stale. */
  async judge(error: unknown): Promise<ChunkVerdict> {
    const origin = globalThis.location?.origin ?? '';
    const failed = [...this.bufferedFailures(), ...this.failedLoads];
    const urls = chunkUrlsToProbe(error, failed, origin);
    const indexUrl = globalThis.document?.baseURI ?? '/';
    const verdict = await judgeChunkFailure(urls, this.build, indexUrl, this.fetchFn);
    if (verdict === 'gone') this.staleSignal.set(true);
    return verdict;
  }

  /** Loads the page again, from the server's current build. */
  reload(): void {
    globalThis.location.reload();
  }

  private bufferedFailures(): FailedLoad[] {
    return (globalThis.performance?.getEntriesByType?.('resource') ?? []) as unknown as FailedLoad[];
  }

  private keep(entries: readonly PerformanceEntry[]): void {
    const origin = globalThis.location?.origin ?? '';
    for (const entry of entries as unknown as FailedLoad[]) {
      if (isFailedScriptLoad(entry, origin)) this.failedLoads.push(entry);
    }
    this.failedLoads.splice(0, Math.max(0, this.failedLoads.length - FAILED_LOADS_KEPT));
  }
}

/**
 * The app's ErrorHandler: Angular's, which also tells StaleBuild about every error it is handed,
 * so a `@defer` block whose chunk failed (NG0750) and a failed import() nobody caught (an
 * unhandled rejection, forwarded by provideBrowserGlobalErrorListeners) show the notice when
 * the server confirms the chunk is gone.
 */
@Injectable()
export class StaleBuildErrorHandler extends ErrorHandler {
  private readonly staleBuild = inject(StaleBuild);

  override handleError(error: unknown): void {
    this.staleBuild.notice(error);
    super.handleError(error);
  }
}
