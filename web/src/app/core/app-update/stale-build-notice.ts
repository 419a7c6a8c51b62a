import { ChangeDetectionStrategy, Component, inject } from '@angular/core';

import { I18n } from '../i18n/i18n';
import { StaleBuild } from './stale-build';

/** The message shown when part of the page could not be loaded because the app was updated, with a reload. */
@Component({
  selector: 'kiln-stale-build-notice',
  template: `
    @if (staleBuild.stale()) {
      <div class="notice" role="alert" data-testid="stale-build">
        <p>{{ i18n.t('app.staleBuild') }}</p>
        <button type="button" data-testid="stale-build-reload" (click)="staleBuild.reload()">
          {{ i18n.t('app.reload') }}
        </button>
      </div>
    }
  `,
  styles: `
    .notice {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 1rem;
      margin: 0.75rem 1rem 0;
      padding: 0.75rem 1rem;
      border: 1px solid #e0a45a;
      border-radius: 8px;
      background: #fff4e5;
      color: #4a2c0a;
    }
    p {
      margin: 0;
      flex: 1 1 16rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StaleBuildNotice {
  protected readonly staleBuild = inject(StaleBuild);
  protected readonly i18n = inject(I18n);
}
