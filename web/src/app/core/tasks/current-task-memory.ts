import { Injectable } from '@angular/core';

import type { TaskKind } from '../api/api-types';

const CURRENT_TASK_KEY = 'kiln3d.currentTask';
const CURRENT_TOKEN_KEY = 'kiln3d.currentTaskToken';
const CURRENT_KIND_KEY = 'kiln3d.currentTaskKind';
const CURRENT_PICTURE_KEY = 'kiln3d.currentTaskPicture';

/** What the page says about a task it picks up after a reload, beyond its id. */
export interface FollowedTaskDetails {
  /** What the task makes: the progress panel says "Making the model" or "Painting the mesh". */
  kind: TaskKind;
  /** The picture's file name, for the viewer's description; the picture itself is not kept. */
  pictureName?: string;
}

/**
 * The id of the task this tab is following, its task token when this tab made it (the secret
 * that lets its maker cancel it: X-Task-Token) and its details, in sessionStorage, so a reload
 * mid-task picks it up again, says the same things and can still cancel. Without storage
 * (privacy modes) nothing is kept and a reload simply starts afresh. Never in localStorage: a
 * token leaves with the tab.
 */
@Injectable({ providedIn: 'root' })
export class CurrentTaskMemory {
  /** Keeps the id of the task now being followed, its token when this tab made it, and its details. */
  remember(taskId: string, token?: string, details?: FollowedTaskDetails): void {
    try {
      sessionStorage.setItem(CURRENT_TASK_KEY, taskId);
      if (token === undefined) sessionStorage.removeItem(CURRENT_TOKEN_KEY);
      else sessionStorage.setItem(CURRENT_TOKEN_KEY, token);
      sessionStorage.setItem(CURRENT_KIND_KEY, details?.kind ?? 'generate');
      if (details?.pictureName === undefined) sessionStorage.removeItem(CURRENT_PICTURE_KEY);
      else sessionStorage.setItem(CURRENT_PICTURE_KEY, details.pictureName);
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

  /** The details kept with the id (a generation with no picture name when none were kept). */
  recallDetails(): FollowedTaskDetails {
    try {
      const kind: TaskKind = sessionStorage.getItem(CURRENT_KIND_KEY) === 'texture' ? 'texture' : 'generate';
      const pictureName = sessionStorage.getItem(CURRENT_PICTURE_KEY) ?? undefined;
      return pictureName === undefined ? { kind } : { kind, pictureName };
    } catch {
      return { kind: 'generate' };
    }
  }

  /** Drops the id, token and details once its task has ended. */
  forget(): void {
    try {
      for (const key of [CURRENT_TASK_KEY, CURRENT_TOKEN_KEY, CURRENT_KIND_KEY, CURRENT_PICTURE_KEY]) {
        sessionStorage.removeItem(key);
      }
    } catch {
      // Nothing to forget.
    }
  }
}
