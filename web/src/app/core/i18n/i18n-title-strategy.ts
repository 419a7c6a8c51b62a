import { Injectable, effect, inject, untracked } from '@angular/core';
import { Title } from '@angular/platform-browser';
import { RouterStateSnapshot, TitleStrategy } from '@angular/router';

import { I18n } from './i18n';
import { isMessageKey } from './messages';

/** Route titles are dictionary keys; the document title follows the language, even when it changes. */
@Injectable({ providedIn: 'root' })
export class I18nTitleStrategy extends TitleStrategy {
  private readonly title = inject(Title);
  private readonly i18n = inject(I18n);
  private current: RouterStateSnapshot | undefined;

  constructor() {
    super();
    effect(() => {
      this.i18n.lang();
      const snapshot = this.current;
      if (snapshot) untracked(() => this.updateTitle(snapshot));
    });
  }

  override updateTitle(snapshot: RouterStateSnapshot): void {
    this.current = snapshot;
    const key = this.buildTitle(snapshot);
    this.title.setTitle(key && isMessageKey(key) ? this.i18n.t(key) : this.i18n.t('app.title'));
  }
}
