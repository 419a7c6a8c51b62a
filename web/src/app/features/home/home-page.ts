import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  untracked,
  viewChild,
} from '@angular/core';

import { isTerminal } from '../../core/events/task-state';
import { I18n } from '../../core/i18n/i18n';
import { HistoryList } from '../history/history-list';
import { HistoryStore, modelIdFromUrl } from '../history/history-store';
import { makeThumbnail } from '../history/thumbnail';
import { ProgressPanel } from '../progress/progress-panel';
import { TaskTracker } from '../../core/tasks/task-tracker';
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
  protected readonly tracker = inject(TaskTracker);
  private readonly history = inject(HistoryStore);
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
  private readonly modelColumn = viewChild<ElementRef<HTMLElement>>('modelColumn');
  private picture: Blob | undefined;
  private recordedTaskId: string | undefined;

  constructor() {
    this.tracker.resume();
    effect(() => {
      const state = this.state();
      if (state.phase === 'completed' && state.result && state.taskId !== this.recordedTaskId) {
        this.recordedTaskId = state.taskId;
        untracked(
          () =>
            void this.record(state.taskId ?? '', state.result?.modelUrl ?? '', state.result?.generationTime),
        );
      }
    });
  }

  protected onSubmitted(picked: PickedPicture): void {
    this.picture = picked.blob;
    void this.tracker.start(picked.blob, picked.name);
  }

  /** On a phone the model appears below the fold: bring it up once, when it is new. */
  private revealModel(): void {
    if (!globalThis.matchMedia?.('(max-width: 859px)').matches) return;
    const smooth = !globalThis.matchMedia('(prefers-reduced-motion: reduce)').matches;
    setTimeout(() =>
      this.modelColumn()?.nativeElement.scrollIntoView({
        behavior: smooth ? 'smooth' : 'auto',
        block: 'start',
      }),
    );
  }

  private async record(taskId: string, modelUrl: string, generationTime: number | undefined): Promise<void> {
    const modelId = modelIdFromUrl(modelUrl);
    if (!modelId) return;
    const thumbnail = this.picture ? await makeThumbnail(this.picture) : undefined;
    this.history.add({ modelId, taskId, createdAt: Date.now(), thumbnail, generationTime });
  }
}
