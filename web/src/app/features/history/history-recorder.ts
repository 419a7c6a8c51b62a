import { EnvironmentProviders, Injectable, inject, provideEnvironmentInitializer } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';

import { CompletedTask, TaskTracker } from '../../core/tasks/task-tracker';
import { modelIdFromUrl } from '../../core/api/model-url';
import { HistoryStore } from './history-store';
import { makeThumbnail } from './thumbnail';

/** Turns a completed generation into an entry of this browser's history. */
@Injectable({ providedIn: 'root' })
export class HistoryRecorder {
  private readonly store = inject(HistoryStore);

  /**
   * Adds the task's model, with a small thumbnail of its picture when the page still has it.
   * A result whose model URL is not /static/{uuid}.glb has no share page and is not recorded.
   */
  async record(task: CompletedTask): Promise<void> {
    const modelId = modelIdFromUrl(task.result.modelUrl);
    if (!modelId) return;
    const thumbnail = task.picture ? await makeThumbnail(task.picture) : undefined;
    this.store.add({
      modelId,
      taskId: task.taskId,
      createdAt: Date.now(),
      thumbnail,
      ...(task.pictureName !== undefined ? { pictureName: task.pictureName } : {}),
      generationTime: task.result.generationTime,
    });
  }
}

/**
 * Records every task TaskTracker announces as completed, for the whole life of the app, so a task
 * that finishes while another page is shown is recorded too.
 */
export function provideHistoryRecording(): EnvironmentProviders {
  return provideEnvironmentInitializer(() => {
    const recorder = inject(HistoryRecorder);
    inject(TaskTracker)
      .completed.pipe(takeUntilDestroyed())
      .subscribe((task) => void recorder.record(task));
  });
}
