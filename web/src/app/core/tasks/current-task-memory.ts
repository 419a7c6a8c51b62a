import { Injectable } from '@angular/core';

const CURRENT_TASK_KEY = 'kiln3d.currentTask';
const CURRENT_TOKEN_KEY = 'kiln3d.currentTaskToken';

/**
 * The id of the task this tab is following, and its task token when this tab made it (the secret
 * that lets its maker cancel it: X-Task-Token), in sessionStorage, so a reload mid-task picks it
 * up again and can still cancel. Without storage (privacy modes) nothing is kept and a reload
 * simply starts afresh. Never in localStorage: a token leaves with the tab.
 */
@Injectable({ providedIn: 'root' })
export class CurrentTaskMemory {
  /** Keeps the id of the task now being followed and, when this tab made it, its token. */
  remember(taskId: string, token?: string): void {
    try {
      sessionStorage.setItem(CURRENT_TASK_KEY, taskId);
      if (token === undefined) sessionStorage.removeItem(CURRENT_TOKEN_KEY);
      else sessionStorage.setItem(CURRENT_TOKEN_KEY, token);
    } catch {
      // Not kept: a reload starts afresh.
    }
  }

  /** The token kept for the followed task, if this tab made it and storage works. */
  recallToken(): string | undefined {
    try {
      return sessionStorage.getItem(CURRENT_TOKEN_KEY) ?? undefined;
    } catch {
      return undefined;
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

  /** Drops the id and token once its task has ended. */
  forget(): void {
    try {
      sessionStorage.removeItem(CURRENT_TASK_KEY);
      sessionStorage.removeItem(CURRENT_TOKEN_KEY);
    } catch {
      // Nothing to forget.
    }
  }
}
