import { ERROR_TABLE, type ErrorCode } from '../../common/api-error';
import type { TaskPatch, TaskRecord, TaskStatus } from '../state/task-snapshot';

/**
 * A task's life (docs/design.md, Queue), as one table: every status change a task can make, the
 * statuses it may start from, the fields it writes and what must happen with it.
 *
 *   (admitted) --create--> queued --start--> processing --complete--> completed
 *                          queued --complete--> completed (its model made before a lock lapse reset it)
 *   (admitted) --reuse---> completed              |  \--fail------------> failed
 *   (admitted) --follow--> the job's queued | processing (FOLLOW: a repeat joins an unfinished job)
 *   queued | processing --cancel--> failed (409)  |  \--requeue--> queued (a graceful stop)
 *   queued | processing --abandon--> failed (500: Bull gave up, the enqueue failed)
 *
 * Every event but `cancel` is a job's (docs/design.md, Instant repeats): it goes to every task
 * following the job, each with its own event id, and its effects are the job's (its slot,
 * picture, files). `cancel` is one task's (ownTaskOnly): the job's effects follow only when no
 * task follows the job any more.
 * A crashed api's running task reads `queued` again once its job's lock lapses: the position
 * refresh applies `requeue`'s fields to it (REFRESH_POSITIONS_LUA, given them by the store).
 * Finished (completed, failed) is final: no event leaves it. The same shape as the web's
 * reduceTask (web/src/app/core/events/task-state.ts): events in, the next record out.
 */
export type TaskEvent =
  | { type: 'start' }
  | {
      type: 'complete';
      /** Server paths of the web GLB and the source GLB (StorageService.modelPath). */
      modelPath: string;
      downloadPath: string;
      /** The LOD's server path; absent when none was made (the web model is the source unchanged). */
      lodPath?: string;
      /** Seconds from the start of processing to the model being served. */
      generationTime: number;
      engine: string;
      triangles: number;
      /** The api's option names the engine ignored; empty when none. */
      ignoredOptions: readonly string[];
    }
  | { type: 'fail'; failure: TaskFailureFields }
  | { type: 'cancel' }
  | { type: 'requeue' }
  | { type: 'abandon' };

/** The contract's error of a failed task (tasks/run/inference-error-mapping.ts maps job errors to it). */
export interface TaskFailureFields {
  /** Its row of the error table (common/error-table.ts). */
  code: ErrorCode;
  httpStatus: number;
  message: string;
  cancelled: boolean;
}

/** What goes with a transition besides the record's fields. */
export interface TransitionEffects {
  /** The task's queue slot goes back (atomically with the change: TaskStore.transition). */
  releaseSlot: boolean;
  /** The queued picture is deleted (atomically with the change). */
  dropImage: boolean;
  /** The task's model files are deleted (after the change). */
  removeModels: boolean;
  /**
   * Also when the change is refused and the task is not completed: a job's end found its task
   * ended otherwise (cancelled meanwhile), so what the job made must not outlive it.
   */
  removeModelsIfRefused: boolean;
  /** The waiting tasks' positions and ETAs change (QueuePositionsService.refresh after the change). */
  refreshPositions: boolean;
  /**
   * The change is one task's, not its job's (`cancel`): the patch goes to that task alone, which
   * leaves its job; the effects above (and the removal or abort of the Bull job) happen only when
   * it was the last task following the job (TaskStore.cancel, in the same step).
   */
  ownTaskOnly: boolean;
}

/** One row of the table: where the event may start from, where it leads, what it writes and does. */
export interface Transition {
  /** Statuses the task must be in; the change is refused otherwise. */
  from: readonly TaskStatus[];
  to: TaskStatus;
  patch: TaskPatch;
  effects: TransitionEffects;
}

const FINISHED: TransitionEffects = {
  releaseSlot: true,
  dropImage: true,
  removeModels: true,
  removeModelsIfRefused: false,
  refreshPositions: true,
  ownTaskOnly: false,
};

/**
 * The `follow` row (TaskLifecycle.follow): a repeat's new task (admitted, its slot given back)
 * joins an unfinished job (`joins`: the statuses the job's tasks may be in; a finished job is
 * refused and the repeat gets a job of its own) and gets a copy of the job's current record under
 * its own id, times and token (TaskStore.follow, one step): no slot, no picture, no Bull job, so
 * none of the effects. From then on it gets every job event; its cancel is its own.
 */
export const FOLLOW: { joins: readonly TaskStatus[]; effects: TransitionEffects } = {
  joins: ['queued', 'processing'],
  effects: {
    releaseSlot: false,
    dropImage: false,
    removeModels: false,
    removeModelsIfRefused: false,
    refreshPositions: false,
    ownTaskOnly: true,
  },
};

/** A running task's fields that a return to the queue clears (also REFRESH_POSITIONS_LUA's reset). */
export const BACK_IN_QUEUE: TaskPatch = { status: 'queued', progress: null, stage: null, started_at: null };

/**
 * The row for `event` at time `nowMs` (clock ms): the one place a status change is defined.
 * Pure; TaskLifecycle applies it through TaskStore.transition and runs its effects.
 */
export function transitionOf(event: TaskEvent, nowMs: number): Transition {
  const now = new Date(nowMs).toISOString();
  switch (event.type) {
    case 'start':
      // From `processing` too: Bull runs a crashed api's job again before the refresh reset it.
      return {
        from: ['queued', 'processing'],
        to: 'processing',
        patch: {
          status: 'processing',
          progress: 0,
          stage: 'preprocess',
          started_at: now,
          position: null,
          eta_s: null,
        },
        effects: {
          releaseSlot: false,
          dropImage: false,
          removeModels: false,
          removeModelsIfRefused: false,
          refreshPositions: true,
          ownTaskOnly: false,
        },
      };
    case 'complete':
      return {
        // From `queued` too: the model is made, but its GPU job's lock lapsed (Redis away as the
        // job ended, or the api killed after its hand-off) and the position refresh reset the
        // task; completing it keeps Bull's rerun of that job from making the model again.
        from: ['processing', 'queued'],
        to: 'completed',
        patch: {
          status: 'completed',
          progress: 100,
          stage: 'export',
          model_path: event.modelPath,
          download_path: event.downloadPath,
          ...(event.lodPath !== undefined ? { lod_path: event.lodPath } : {}),
          generation_time: Math.round(event.generationTime * 100) / 100,
          engine: event.engine,
          triangles: event.triangles,
          ignored_options: event.ignoredOptions.length > 0 ? [...event.ignoredOptions] : null,
          finished_at: now,
          // From `queued` (a lapsed lock's reset) it carries queue figures: they end with it.
          position: null,
          eta_s: null,
        },
        effects: { ...FINISHED, removeModels: false, removeModelsIfRefused: true },
      };
    case 'fail':
      return {
        from: ['processing'],
        to: 'failed',
        patch: {
          status: 'failed',
          error: event.failure.message,
          error_code: event.failure.code,
          http_status: event.failure.httpStatus,
          cancelled: event.failure.cancelled ? true : null,
          finished_at: now,
        },
        effects: { ...FINISHED, removeModelsIfRefused: true },
      };
    case 'cancel':
      return {
        from: ['queued', 'processing'],
        to: 'failed',
        patch: {
          status: 'failed',
          error: ERROR_TABLE.task_cancelled.message,
          error_code: 'task_cancelled',
          http_status: ERROR_TABLE.task_cancelled.status,
          cancelled: true,
          finished_at: now,
          // A waiting task's queue figures end with the wait.
          position: null,
          eta_s: null,
        },
        effects: { ...FINISHED, ownTaskOnly: true },
      };
    case 'requeue':
      // The picture stays: the job runs again. Its partial output goes.
      return {
        from: ['processing'],
        to: 'queued',
        patch: BACK_IN_QUEUE,
        effects: {
          releaseSlot: false,
          dropImage: false,
          removeModels: true,
          removeModelsIfRefused: true,
          refreshPositions: true,
          ownTaskOnly: false,
        },
      };
    case 'abandon':
      return {
        from: ['queued', 'processing'],
        to: 'failed',
        patch: {
          status: 'failed',
          error: ERROR_TABLE.internal_error.message,
          error_code: 'internal_error',
          http_status: ERROR_TABLE.internal_error.status,
          finished_at: now,
          position: null,
          eta_s: null,
        },
        effects: FINISHED,
      };
  }
}

/**
 * The pure reducer: the record after `event`, or undefined when the event is refused (the task
 * is not in one of the row's `from` statuses; finished tasks refuse everything). Applying a
 * patch: a null field is removed. TaskStore.transition does the same inside Redis, atomically.
 */
export function reduceTask(record: TaskRecord, event: TaskEvent, nowMs: number): TaskRecord | undefined {
  const { from, patch } = transitionOf(event, nowMs);
  if (!from.includes(record.status)) return undefined;
  const next: Record<string, unknown> = { ...record, updated_at: new Date(nowMs).toISOString() };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as unknown as TaskRecord;
}
