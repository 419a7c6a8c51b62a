import {
  DestroyRef,
  EnvironmentProviders,
  Injectable,
  effect,
  inject,
  provideEnvironmentInitializer,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';

import { ApiClient } from '../../core/api/api-client';
import { modelIdFromUrl } from '../../core/api/model-url';
import { CompletedTask, TaskTracker } from '../../core/tasks/task-tracker';
import { type HistoryEntry, HistoryStore } from './history-store';
import { PendingTasks } from './pending-tasks';
import { makeThumbnail } from './thumbnail';

/**
 * The optional fields that name what a task was made from (its picture, and a painted mesh's
 * kind and mesh), as a history entry and a pending task keep them; absent ones left out.
 */
function fileNamesOf(task: {
  pictureName?: string | undefined;
  kind?: string | undefined;
  meshName?: string | undefined;
}): Pick<HistoryEntry, 'pictureName' | 'kind' | 'meshName'> {
  return {
    ...(task.pictureName !== undefined ? { pictureName: task.pictureName } : {}),
    ...(task.kind === 'texture' ? { kind: 'texture' as const } : {}),
    ...(task.meshName !== undefined ? { meshName: task.meshName } : {}),
  };
}

/** How often the tasks still being made are asked about while this page is visible (ms). */
export const PENDING_CHECK_MS = 20_000;

/**
 * Turns a completed generation into an entry of this browser's history: at once in the tab that
 * follows it, or later, from any tab of this browser, for a task whose tab was closed or killed
 * while it was being made (PendingTasks).
 */
@Injectable({ providedIn: 'root' })
export class HistoryRecorder {
  private readonly store = inject(HistoryStore);
  private readonly pending = inject(PendingTasks);
  private readonly api = inject(ApiClient);
  private readonly tracker = inject(TaskTracker);
  private settling = false;

  /**
   * Adds the task's model, with a small thumbnail of its picture when the page still has it.
   * A result whose model URL is not /static/{uuid}.glb has no share page and is not recorded.
   */
  async record(task: CompletedTask): Promise<void> {
    this.pending.remove(task.taskId);
    const modelId = modelIdFromUrl(task.result.modelUrl);
    if (!modelId) return;
    const thumbnail = task.picture ? await makeThumbnail(task.picture) : undefined;
    this.store.add({
      modelId,
      taskId: task.taskId,
      createdAt: Date.now(),
      thumbnail,
      ...fileNamesOf(task),
      generationTime: task.result.generationTime,
    });
  }

  /**
   * Asks the server about each pending task this page is not following itself: a completed one
   * becomes a history entry (no thumbnail: the picture left with its tab), a failed or unknown
   * one is dropped, a live one stays. A network failure leaves them all for the next time.
   * Resolves when every answer is in; never rejects.
   */
  async settlePending(): Promise<void> {
    if (this.settling) return;
    this.settling = true;
    try {
      const followed = this.tracker.state().taskId;
      for (const task of this.pending.tasks()) {
        if (task.taskId === followed) continue;
        const outcome = await this.api.getTask(task.taskId);
        if (!outcome.ok) {
          if (outcome.error.code === 'task_not_found') this.pending.remove(task.taskId);
          continue;
        }
        const snapshot = outcome.value;
        if (snapshot.status === 'failed') this.pending.remove(task.taskId);
        if (snapshot.status !== 'completed') continue;
        this.pending.remove(task.taskId);
        const modelId = snapshot.model_url ? modelIdFromUrl(snapshot.model_url) : undefined;
        if (!modelId) continue;
        const finished = Date.parse(snapshot.updated_at ?? '');
        this.store.add({
          modelId,
          taskId: task.taskId,
          createdAt: Number.isFinite(finished) ? finished : Date.now(),
          ...fileNamesOf(task),
          ...(typeof snapshot.generation_time === 'number'
            ? { generationTime: snapshot.generation_time }
            : {}),
        });
      }
    } finally {
      this.settling = false;
    }
  }
}

/**
 * Records every task TaskTracker announces as completed, for the whole life of the app, so a task
 * that finishes while another page is shown is recorded too; keeps each task it sends as pending
 * until then, and settles the pending tasks of closed tabs at start and every PENDING_CHECK_MS
 * while this page is visible.
 */
export function provideHistoryRecording(): EnvironmentProviders {
  return provideEnvironmentInitializer(() => {
    const recorder = inject(HistoryRecorder);
    const pending = inject(PendingTasks);
    const tracker = inject(TaskTracker);
    tracker.completed.pipe(takeUntilDestroyed()).subscribe((task) => void recorder.record(task));
    // A task that failed or was cancelled here has no model to wait for (a timeout is only the
    // page's guess, and a 401 only this browser's sign-in lapsing: the server may still finish it).
    effect(() => {
      const { phase, taskId, error } = tracker.state();
      const ended = phase === 'cancelled' || (phase === 'failed' && error?.code !== 'unauthorized');
      if (taskId !== undefined && ended) pending.remove(taskId);
    });
    tracker.sent.pipe(takeUntilDestroyed()).subscribe((task) =>
      pending.add({
        taskId: task.taskId,
        sentAt: Date.now(),
        ...fileNamesOf(task),
      }),
    );
    const settle = (): void => {
      if (pending.tasks().length > 0 && globalThis.document?.visibilityState !== 'hidden') {
        void recorder.settlePending();
      }
    };
    settle();
    const timer = setInterval(settle, PENDING_CHECK_MS);
    globalThis.document?.addEventListener('visibilitychange', settle);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(timer);
      globalThis.document?.removeEventListener('visibilitychange', settle);
    });
  });
}
