import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  computed,
  inject,
  Injector,
  signal,
} from '@angular/core';
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

  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  /** What the last removal did, said politely by the list's status line. */
  protected readonly announcement = signal('');

  /**
   * Removes an entry, says so, and gives the focus to the entry that took its place (the next
   * one, else the one before, else the list's heading): the removed button took it with it, and
   * a focus dropped to the page's start loses a keyboard or screen-reader user's place (WCAG
   * 2.4.3).
   */
  protected remove(entry: HistoryEntry): void {
    const entries = this.store.entries();
    const index = entries.findIndex((e) => e.modelId === entry.modelId);
    const name = this.nameOf(entry) ?? this.dateLabel(entry);
    this.store.remove(entry.modelId);
    this.announcement.set(this.i18n.t('history.removed', { name }));
    this.focusAfterRender((root) => {
      const buttons = [...root.querySelectorAll<HTMLElement>('.entries:not(.pending) .remove')];
      return buttons[Math.min(index, buttons.length - 1)];
    });
  }

  /** Empties the list, says so, and gives the focus to the list's heading. */
  protected clear(): void {
    this.store.clear();
    this.announcement.set(this.i18n.t('history.cleared'));
    this.focusAfterRender(() => undefined);
  }

  private focusAfterRender(pick: (root: HTMLElement) => HTMLElement | undefined): void {
    afterNextRender(
      () => {
        const root = this.host.nativeElement;
        (pick(root) ?? root.querySelector<HTMLElement>('#history-heading'))?.focus();
      },
      { injector: this.injector },
    );
  }

  protected dateLabel(entry: HistoryEntry): string {
    return this.timeLabel(entry.createdAt);
  }

  /** "lantern.png Being made…: watch its model being made" (or "Being made… (sent 12:30): …"). */
  protected pendingLabel(task: PendingTask): string {
    const name = this.nameOf(task);
    // Each name begins with what the link shows (WCAG 2.5.3 Label in Name: "click headset.jpg").
    const state = this.i18n.t('history.beingMade');
    return name
      ? this.i18n.t('history.watchNamed', { name, state })
      : this.i18n.t('history.watch', { state, date: this.timeLabel(task.sentAt) });
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
