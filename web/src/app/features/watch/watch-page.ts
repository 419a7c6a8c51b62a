import { ChangeDetectionStrategy, Component, computed, effect, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';

import { isTaskId } from '../../core/api/model-url';
import { I18n } from '../../core/i18n/i18n';
import { PageTitle } from '../../core/i18n/page-title';
import type { MessageKey } from '../../core/i18n/messages';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { ProgressPanel } from '../progress/progress-panel';
import { ModelViewer } from '../viewer/model-viewer';

/**
 * /t/{task_id}: someone's task watched by whoever has its link (the 202's watch_url): its place
 * in line, progress and voxel preview, then its model. Read only: it has a TaskTracker of its own
 * (not the app's, so the visitor's own task in this tab is untouched) that follows the task by id,
 * with no token and no control that changes it.
 */
@Component({
  selector: 'kiln-watch-page',
  imports: [ProgressPanel, ModelViewer, RouterLink],
  providers: [TaskTracker],
  templateUrl: './watch-page.html',
  styleUrl: './watch-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class WatchPage {
  /** The route's :id, bound by the router. */
  readonly id = input.required<string>();
  protected readonly i18n = inject(I18n);
  protected readonly tracker = inject(TaskTracker);
  /** Anything but a task id (a UUID) is no task to follow. */
  protected readonly taskId = computed(() => (isTaskId(this.id()) ? this.id().toLowerCase() : undefined));
  protected readonly state = this.tracker.state;
  /** What the page is about now: a model being made, made, not made, or nothing to watch. */
  protected readonly heading = computed<MessageKey>(() => {
    const { phase, error } = this.state();
    if (!this.taskId() || error?.code === 'task_not_found') return 'watch.headingUnknown';
    // API keys only: the task routes need a key, which a browser does not hold.
    if (error?.code === 'unauthorized') return 'watch.headingPrivate';
    if (phase === 'completed') return 'share.heading';
    if (phase === 'failed' || phase === 'cancelled' || phase === 'timed-out') return 'watch.headingEnded';
    return 'watch.heading';
  });
  protected readonly result = computed(() => {
    const state = this.state();
    return state.phase === 'completed' ? state.result : undefined;
  });
  protected readonly preview = computed(() => {
    const state = this.state();
    return state.phase === 'processing' || state.phase === 'completed' ? state.preview : undefined;
  });

  constructor() {
    // The document's title says what the heading says (WCAG 2.4.2), once it differs from the route's.
    const pageTitle = inject(PageTitle);
    effect(() => {
      const heading = this.heading();
      pageTitle.heading.set(heading === 'watch.heading' ? undefined : heading);
    });
    let followed: string | undefined;
    effect(() => {
      const taskId = this.taskId();
      if (taskId !== undefined && taskId !== followed) {
        followed = taskId;
        this.tracker.watch(taskId);
      }
    });
  }
}
