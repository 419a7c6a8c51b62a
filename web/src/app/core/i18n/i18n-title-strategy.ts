import { Injectable, effect, inject, untracked } from '@angular/core';
import { Title } from '@angular/platform-browser';
import { RouterStateSnapshot, TitleStrategy } from '@angular/router';

import { I18n } from './i18n';
import { isMessageKey } from './messages';
import { PageTitle } from './page-title';

/**
 * Route titles are dictionary keys; the document title follows the language, even when it
 * changes, and the page's own heading (PageTitle) when it set one.
 */
@Injectable({ providedIn: 'root' })
export class I18nTitleStrategy extends TitleStrategy {
  private readonly title = inject(Title);
  private readonly i18n = inject(I18n);
  private readonly page = inject(PageTitle);
  private current: RouterStateSnapshot | undefined;

  constructor() {
    super();
    effect(() => {
      this.i18n.lang();
      this.page.heading();
      untracked(() => this.render());
    });
  }

  override updateTitle(snapshot: RouterStateSnapshot): void {
    this.current = snapshot;
    // A new page: the last one's own heading is not this one's.
    this.page.heading.set(undefined);
    this.render();
  }

  private render(): void {
    const snapshot = this.current;
    if (!snapshot) return;
    const heading = this.page.heading();
    if (heading !== undefined) {
      this.title.setTitle(this.i18n.t('title.page', { page: this.i18n.t(heading) }));
      return;
    }
    const key = this.buildTitle(snapshot);
    this.title.setTitle(key && isMessageKey(key) ? this.i18n.t(key) : this.i18n.t('app.title'));
  }
}
