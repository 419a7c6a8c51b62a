import { Injectable, signal } from '@angular/core';

import { MessageKey } from './messages';

/**
 * What the page on screen says it is now, when that is not what its route's title says: a share
 * link whose model is gone ("Model not found"), a watched task whose model is done ("Shared
 * model"). I18nTitleStrategy puts it in the document title (WCAG 2.4.2: the title a screen reader
 * announces and a tab shows says what the page is); a navigation clears it.
 */
@Injectable({ providedIn: 'root' })
export class PageTitle {
  /** The dictionary key of the page's heading to title the document with; undefined: the route's title. */
  readonly heading = signal<MessageKey | undefined>(undefined);
}
