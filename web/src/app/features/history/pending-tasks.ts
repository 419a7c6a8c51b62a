import { DestroyRef, Injectable, inject, signal } from '@angular/core';

import { isTaskId } from '../../core/api/model-url';
import { hasValidFileNames, parseStoredList } from './history-store';

/** A task sent from this browser whose model is not in the history yet. */
export interface PendingTask {
  taskId: string;
  /** The picture's file name as it was sent, when known. */
  pictureName?: string;
  /** Page clock (ms) when it was sent. */
  sentAt: number;
  /** `texture` for a mesh to paint (absent: a model from the picture). */
  kind?: 'texture';
  /** The mesh's file name of a texturing task. */
  meshName?: string;
}

/** localStorage key; the version changes when the entry shape does. */
export const PENDING_KEY = 'kiln3d.pending.v1';
/** The most tasks kept (a browser sends a few at a time: the server's per-client share is 3 by default). */
export const PENDING_LIMIT = 12;
/** A task this old is dropped unasked: no job waits or runs that long (JOB_TIMEOUT_S is minutes). */
export const PENDING_MAX_AGE_MS = 24 * 3600 * 1000;

function isPending(value: unknown): value is PendingTask {
  if (value === null || typeof value !== 'object') return false;
  const task = value as Record<string, unknown>;
  return (
    typeof task['taskId'] === 'string' &&
    isTaskId(task['taskId']) &&
    typeof task['sentAt'] === 'number' &&
    Number.isFinite(task['sentAt']) &&
    hasValidFileNames(task)
  );
}

/** Valid, younger than PENDING_MAX_AGE_MS, newest first, one per task, at most PENDING_LIMIT. */
export function prunePending(tasks: readonly unknown[], now: number): PendingTask[] {
  const seen = new Set<string>();
  return tasks
    .filter(isPending)
    .filter((task) => now - task.sentAt < PENDING_MAX_AGE_MS)
    .sort((a, b) => b.sentAt - a.sentAt)
    .filter((task) => (seen.has(task.taskId) ? false : (seen.add(task.taskId), true)))
    .slice(0, PENDING_LIMIT);
}

/**
 * The tasks this browser sent that have not ended in a history entry yet, in localStorage (ids
 * and picture names only: a task's token stays in its tab's sessionStorage). Why: a phone's tab
 * is swiped away or killed while its model is being made, and the model must still reach "Your
 * recent models" (HistoryRecorder settles each one by asking the server). Every open tab sees
 * the same list through the `storage` event.
 */
@Injectable({ providedIn: 'root' })
export class PendingTasks {
  private readonly tasksSignal = signal<PendingTask[]>([]);
  readonly tasks = this.tasksSignal.asReadonly();

  constructor() {
    this.reload(Date.now());
    const onStorage = (event: StorageEvent): void => {
      if (event.key === PENDING_KEY || event.key === null) this.reload(Date.now());
    };
    globalThis.addEventListener?.('storage', onStorage);
    inject(DestroyRef).onDestroy(() => globalThis.removeEventListener?.('storage', onStorage));
  }

  /** Keeps a task just accepted by the server. */
  add(task: PendingTask, now = Date.now()): void {
    this.save(prunePending([task, ...this.read()], now));
  }

  /** Drops a task: its model is in the history, or it failed, was cancelled or is gone. */
  remove(taskId: string, now = Date.now()): void {
    this.save(prunePending(this.read(), now).filter((task) => task.taskId !== taskId));
  }

  /** Reads the stored list again (another tab may have changed it), dropping what is too old. */
  reload(now: number): void {
    const stored = this.read();
    const pruned = prunePending(stored, now);
    this.tasksSignal.set(pruned);
    if (pruned.length !== stored.length) this.write(pruned);
  }

  private save(tasks: PendingTask[]): void {
    this.tasksSignal.set(tasks);
    this.write(tasks);
  }

  private read(): unknown[] {
    try {
      return parseStoredList(globalThis.localStorage?.getItem(PENDING_KEY) ?? null);
    } catch {
      return []; // storage blocked
    }
  }

  private write(tasks: PendingTask[]): void {
    try {
      globalThis.localStorage?.setItem(PENDING_KEY, JSON.stringify(tasks));
    } catch {
      // Storage full or blocked: the list lives for this page only.
    }
  }
}
