import {
  ApplicationConfig,
  ErrorHandler,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
  inject,
} from '@angular/core';
import {
  TitleStrategy,
  provideRouter,
  withComponentInputBinding,
  withNavigationErrorHandler,
} from '@angular/router';

import { routes } from './app.routes';
import { ServerConfigStore } from './core/api/server-config-store';
import { StaleBuild, StaleBuildErrorHandler } from './core/app-update/stale-build';
import { I18nTitleStrategy } from './core/i18n/i18n-title-strategy';
import { provideHistoryRecording } from './features/history/history-recorder';
import { HistoryStore } from './features/history/history-store';
import { FocusModality } from './features/progress/quiet-focus';

/**
 * Zoneless change detection, the routes, translated titles, history recording, /api/config at
 * start, how the person uses the page (FocusModality), and the stale-build notice for a lazy chunk that failed to load (a route's, through the
 * router's navigation errors; a `@defer` block's or a stray import()'s, through the ErrorHandler).
 */
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(
      routes,
      withComponentInputBinding(),
      withNavigationErrorHandler((error) => void inject(StaleBuild).notice(error.error)),
    ),
    { provide: ErrorHandler, useClass: StaleBuildErrorHandler },
    { provide: TitleStrategy, useClass: I18nTitleStrategy },
    provideHistoryRecording(),
    // From the start: the key press that starts a task comes before its progress panel.
    provideAppInitializer(() => void inject(FocusModality)),
    provideAppInitializer(() => {
      const config = inject(ServerConfigStore);
      const history = inject(HistoryStore);
      // Not awaited: the page works on the documented defaults until the server answers.
      void config.load().then((value) => history.setRetentionHours(value.retention_hours));
    }),
  ],
};
