import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { RouterLink } from '@angular/router';

import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n } from '../../core/i18n/i18n';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { HistoryEntry, HistoryStore } from './history-store';
import { PendingTask, PendingTasks } from './pending-tasks';

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
  private readonly tracker = inject(TaskTracker);
  private readonly pendingTasks = inject(PendingTasks);
  /** Tasks of this browser still being made, less the one this page shows in its progress panel. */
  protected readonly pending = computed(() => {
    const followed = this.tracker.state().taskId;
    return this.pendingTasks.tasks().filter((task) => task.taskId !== followed);
  });

  protected dateLabel(entry: HistoryEntry): string {
    return this.timeLabel(entry.createdAt);
  }

  /** "Watch lantern.png being made" (or "Watch the model sent at 12:30 being made"). */
  protected pendingLabel(task: PendingTask): string {
    const name = this.nameOf(task);
    return name
      ? this.i18n.t('history.watchNamed', { name })
      : this.i18n.t('history.watch', { date: this.timeLabel(task.sentAt) });
  }

  protected timeLabel(at: number): string {
    return new Intl.DateTimeFormat(this.i18n.locale(), {
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
    }).format(at);
  }

  /** What an entry is called on screen: a painted mesh by its mesh's name, a model by its picture's. */
  protected nameOf(entry: { kind?: 'texture'; meshName?: string; pictureName?: string }): string | undefined {
    return entry.kind === 'texture' ? (entry.meshName ?? entry.pictureName) : entry.pictureName;
  }

  /** "Open the model of lantern.png, made 7 Dec, 12:30" ("Open box.obj, painted from lantern.png, …"). */
  protected openLabel(entry: HistoryEntry): string {
    const date = this.dateLabel(entry);
    if (entry.kind === 'texture' && entry.meshName && entry.pictureName) {
      return this.i18n.t('history.openPainted', { mesh: entry.meshName, name: entry.pictureName, date });
    }
    const name = this.nameOf(entry);
    return name ? this.i18n.t('history.openNamed', { name, date }) : this.i18n.t('history.open', { date });
  }

  /** The remove button's label, naming the entry as its link does. */
  protected removeLabel(entry: HistoryEntry): string {
    const date = this.dateLabel(entry);
    const name = this.nameOf(entry);
    return name
      ? this.i18n.t('history.removeNamed', { name, date })
      : this.i18n.t('history.removeOne', { date });
  }
}
