import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink } from '@angular/router';

import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n } from '../../core/i18n/i18n';
import { HistoryEntry, HistoryStore } from './history-store';

/** This browser's recent models, each a link to its share page. */
@Component({
  selector: 'kiln-history-list',
  imports: [RouterLink],
  templateUrl: './history-list.html',
  styleUrl: './history-list.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HistoryList {
  protected readonly i18n = inject(I18n);
  protected readonly store = inject(HistoryStore);
  protected readonly config = inject(ServerConfigStore).value;

  protected dateLabel(entry: HistoryEntry): string {
    return new Intl.DateTimeFormat(this.i18n.locale(), {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }).format(entry.createdAt);
  }

  /** "Open lantern.png, made 7 Dec, 12:30" (or by its date alone when the name is unknown). */
  protected openLabel(entry: HistoryEntry): string {
    const date = this.dateLabel(entry);
    return entry.pictureName
      ? this.i18n.t('history.openNamed', { name: entry.pictureName, date })
      : this.i18n.t('history.open', { date });
  }

  /** The remove button's label, naming the entry as its link does. */
  protected removeLabel(entry: HistoryEntry): string {
    const date = this.dateLabel(entry);
    return entry.pictureName
      ? this.i18n.t('history.removeNamed', { name: entry.pictureName, date })
      : this.i18n.t('history.removeOne', { date });
  }
}
