import { Injectable } from '@angular/core';

const CURRENT_TASK_KEY = 'kiln3d.currentTask';

/**
 * The id of the task this tab is following, in sessionStorage, so a reload mid-task picks it up
 * again. Without storage (privacy modes) nothing is kept and a reload simply starts afresh.
 */
@Injectable({ providedIn: 'root' })
export class CurrentTaskMemory {
  /** Keeps the id of the task now being followed. */
  remember(taskId: string): void {
    try {
      sessionStorage.setItem(CURRENT_TASK_KEY, taskId);
    } catch {
      // Not kept: a reload starts afresh.
    }
  }

  /** The id kept before a reload, if any. */
  recall(): string | undefined {
    try {
      return sessionStorage.getItem(CURRENT_TASK_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** Drops the id once its task has ended. */
  forget(): void {
    try {
      sessionStorage.removeItem(CURRENT_TASK_KEY);
    } catch {
      // Nothing to forget.
    }
  }
}
