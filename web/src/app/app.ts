import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';

import { StaleBuildNotice } from './core/app-update/stale-build-notice';
import { I18n, LANGS, Lang } from './core/i18n/i18n';

const LANG_NAMES: Record<Lang, string> = { en: 'English', zh: '中文' };

/** The shell: header with the language switch, the stale-build notice, and the routed page. */
@Component({
  selector: 'kiln-root',
  imports: [RouterOutlet, RouterLink, StaleBuildNotice],
  templateUrl: './app.html',
  styleUrl: './app.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly i18n = inject(I18n);
  protected readonly langs = LANGS;
  protected readonly langNames = LANG_NAMES;

  protected onLangChange(event: Event): void {
    const value = (event.target as HTMLSelectElement).value;
    if (value === 'en' || value === 'zh') this.i18n.setLang(value);
  }
}
