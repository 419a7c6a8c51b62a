import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';

import { modelIdFromUrl } from '../../core/api/model-url';
import { isTerminal } from '../../core/events/task-state';
import { I18n } from '../../core/i18n/i18n';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { HistoryList } from '../history/history-list';
import { ProgressPanel } from '../progress/progress-panel';
import { PickedPicture, UploadPanel } from '../upload/upload-panel';
import { ModelViewer } from '../viewer/model-viewer';

/** The main page: picture in, progress, the model, and this browser's recent models. */
@Component({
  selector: 'kiln-home-page',
  imports: [UploadPanel, ProgressPanel, HistoryList, ModelViewer],
  templateUrl: './home-page.html',
  styleUrl: './home-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HomePage {
  protected readonly i18n = inject(I18n);
  private readonly tracker = inject(TaskTracker);
  protected readonly state = this.tracker.state;
  protected readonly busy = computed(() => {
    const phase = this.state().phase;
    return phase !== 'idle' && !isTerminal(phase);
  });
  protected readonly result = computed(() => {
    const state = this.state();
    if (state.phase !== 'completed' || !state.result) return undefined;
    const modelId = modelIdFromUrl(state.result.modelUrl);
    return { ...state.result, sharePath: modelId ? `/m/${modelId}` : undefined };
  });
  /** The voxel preview while the model is made (the viewer keeps drawing it until the model is in). */
  protected readonly preview = computed(() => {
    const state = this.state();
    return state.phase === 'processing' || state.phase === 'completed' ? state.preview : undefined;
  });
  /** The picture sent, which colours the preview; none after a reload. */
  protected readonly picture = signal<Blob | undefined>(undefined);
  /** A new variation needs the picture this page sent (not after a reload). */
  protected readonly canVary = computed(() => this.result() !== undefined && this.picture() !== undefined);

  constructor() {
    this.tracker.resume();
  }

  protected onSubmitted(picked: PickedPicture): void {
    this.picture.set(picked.blob);
    // The viewer's chunk (three.js) is fetched and parsed while the task waits and runs, so the
    // first voxel preview is drawn as it arrives; the @defer block below then finds it loaded.
    void import('../viewer/model-viewer').catch(() => undefined);
    void this.tracker.start(picked.blob, picked.name, picked.options);
  }

  /** The same picture and options again, with a new seed. */
  protected newVariation(): void {
    void this.tracker.variation();
  }
}
