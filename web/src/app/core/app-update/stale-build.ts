import { ErrorHandler, Injectable, inject, signal } from '@angular/core';

import { isChunkLoadError } from './chunk-load-error';

/**
 * Whether this page is an older build than the server now serves, as seen by a lazily loaded
 * chunk that could not be loaded. The shell then shows StaleBuildNotice (a message and a reload)
 * instead of leaving a blank area where the chunk's part should be.
 */
@Injectable({ providedIn: 'root' })
export class StaleBuild {
  private readonly staleSignal = signal(false);
  /** True once a chunk failed to load; stays true until the page reloads. */
  readonly stale = this.staleSignal.asReadonly();

  /** Looks at an error; a failed chunk load marks the page stale. Returns whether it was one. */
  notice(error: unknown): boolean {
    if (!isChunkLoadError(error)) return false;
    this.staleSignal.set(true);
    return true;
  }

  /** Loads the page again, from the server's current build. */
  reload(): void {
    globalThis.location.reload();
  }
}

/**
 * The app's ErrorHandler: Angular's, which also tells StaleBuild about every error it is handed,
 * so a `@defer` block whose chunk failed (NG0750) and a failed import() nobody caught (an
 * unhandled rejection, forwarded by provideBrowserGlobalErrorListeners) show the notice.
 */
@Injectable()
export class StaleBuildErrorHandler extends ErrorHandler {
  private readonly staleBuild = inject(StaleBuild);

  override handleError(error: unknown): void {
    this.staleBuild.notice(error);
    super.handleError(error);
  }
}
