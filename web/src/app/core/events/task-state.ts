import { asErrorCode } from '../api/api-error';
import { ApiError, TaskSnapshot } from '../api/api-types';
import { previewPath, toSameOriginPath } from '../api/model-url';

/**
 * The life of one generation as the page sees it. `cancelled` is the page's name for a task that
 * ended `failed` with code task_cancelled (the server has no such status). `timed-out` is the page's own verdict when no
 * result came within the job limit (the server should have said 504 by then, but a lost stream
 * must not leave the page spinning forever).
 */
export type TaskPhase =
  'idle' | 'uploading' | 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'timed-out';

/** A completed task's model: same-origin paths of the web GLB and the source GLB, and seconds taken. */
export interface TaskResult {
  modelUrl: string;
  downloadUrl: string;
  /** The web GLB's small level of detail, drawn first (issue 21); absent for models made without one. */
  lodUrl?: string;
  generationTime: number | undefined;
  /**
   * Whether the engine used the seed: false when the snapshot's `ignored_options` names it (the
   * inflate engine), so a new variation would come back identical.
   */
  seedCounts: boolean;
  /** The request options the engine ignored (`ignored_options`: quality, seed, texture_size…), said on the page. */
  ignoredOptions: readonly string[];
  /** The share page as the server hands it out (`share_url`: absolute, on PUBLIC_BASE_URL when set). */
  shareUrl?: string;
}

/** The latest voxel preview of a processing task: where to fetch it, and which one it is. */
export interface TaskPreview {
  /** Same-origin path: /api/tasks/{id}/preview?rev=N. */
  url: string;
  rev: number;
}

/** Everything the page shows about the followed task; only reduceTask makes a new one. */
export interface TaskState {
  phase: TaskPhase;
  taskId: string | undefined;
  /** 1-based place in line while queued. */
  position: number | undefined;
  etaS: number | undefined;
  /** Page clock (ms) when etaS was given, so the estimate can count down between events. */
  etaAt: number | undefined;
  /**
   * The `updated_at` (ms) of the snapshot that gave etaS: the same estimate delivered again (a poll
   * of an unchanged task) keeps counting down from etaAt instead of starting over.
   */
  etaUpdatedAt?: number;
  /** 0-100, never decreasing within one task. */
  progress: number;
  /** 0-1 while the picture is being sent, when the browser can tell. */
  uploadFraction: number | undefined;
  stage: string | undefined;
  /** Page clock (ms) when processing was first seen; elapsed time and the watchdog count from it. */
  processingSince: number | undefined;
  result: TaskResult | undefined;
  /** The newest voxel preview seen (only a higher rev replaces it). */
  preview: TaskPreview | undefined;
  error: ApiError | undefined;
  /** The event stream dropped and the browser is reconnecting. */
  reconnecting: boolean;
  /**
   * The newest `updated_at` the server gave (its clock, ms): only a snapshot newer than this may
   * move the task backwards (back to the queue, a lower percent of a new run).
   */
  updatedAt: number | undefined;
  /** The server's `started_at` of the run being shown: another one means the job started over. */
  runStartedAt: string | undefined;
  /** The job started over (the server was restarted or stopped mid-job): the page says so. */
  restarted: boolean;
}

/** No task: before the first picture and after "start over". */
export const IDLE_TASK: TaskState = {
  phase: 'idle',
  taskId: undefined,
  position: undefined,
  etaS: undefined,
  etaAt: undefined,
  progress: 0,
  uploadFraction: undefined,
  stage: undefined,
  processingSince: undefined,
  result: undefined,
  preview: undefined,
  error: undefined,
  reconnecting: false,
  updatedAt: undefined,
  runStartedAt: undefined,
  restarted: false,
};

/** What can happen to the task: the user's actions, the server's snapshots, the page clock. */
export type TaskAction =
  | { type: 'upload-started' }
  | { type: 'upload-progress'; fraction: number }
  | { type: 'accepted'; taskId: string; position: number }
  | { type: 'resume'; taskId: string }
  | { type: 'rejected'; error: ApiError }
  | { type: 'snapshot'; snapshot: TaskSnapshot; now: number }
  | { type: 'stream-lost' }
  | { type: 'refused'; error: ApiError }
  | { type: 'cancelled' }
  | { type: 'tick'; now: number; timeoutS: number }
  | { type: 'reset' };

/** Whether the phase is final: nothing the server says later changes it. */
export function isTerminal(phase: TaskPhase): boolean {
  return phase === 'completed' || phase === 'failed' || phase === 'cancelled' || phase === 'timed-out';
}

function finiteOrUndefined(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * When processing began, on the page's clock. The server's started_at and updated_at are on its
 * own clock; their difference is the time already spent, which stays right whatever the skew
 * between the two clocks, and after a reload mid-task.
 */
function processingStart(snapshot: TaskSnapshot, now: number): number {
  const started = Date.parse(snapshot.started_at ?? '');
  const updated = Date.parse(snapshot.updated_at ?? '');
  if (Number.isNaN(started) || Number.isNaN(updated) || updated < started) return now;
  return now - (updated - started);
}

/** The snapshot's preview when it is newer than the one the page has; else the page's. */
function newerPreview(current: TaskPreview | undefined, snapshot: TaskSnapshot): TaskPreview | undefined {
  const info = snapshot.preview;
  const rev = finiteOrUndefined(info?.rev);
  const url = typeof info?.url === 'string' ? previewPath(info.url) : undefined;
  if (rev === undefined || url === undefined) return current;
  return current !== undefined && current.rev >= rev ? current : { url, rev };
}

/**
 * What a job that starts over (put back in the queue, or run again) keeps of its last run:
 * nothing; and the page says it started over.
 */
const FRESH_RUN = {
  progress: 0,
  stage: undefined,
  preview: undefined,
  processingSince: undefined,
  runStartedAt: undefined,
  restarted: true,
} as const satisfies Partial<TaskState>;

/** The snapshot's `updated_at` in ms, when it has a valid one. */
function updatedAtOf(snapshot: TaskSnapshot): number | undefined {
  const updated = Date.parse(snapshot.updated_at ?? '');
  return Number.isNaN(updated) ? undefined : updated;
}

function applySnapshot(state: TaskState, snapshot: TaskSnapshot, now: number): TaskState {
  const updated = updatedAtOf(snapshot);
  // Polling and the stream can deliver out of order: a step back is believed only from a
  // snapshot the server wrote later than everything seen so far (forward steps always apply).
  const newer = updated !== undefined && state.updatedAt !== undefined && updated > state.updatedAt;
  const seen = state.updatedAt;
  const base: TaskState = {
    ...state,
    reconnecting: false,
    taskId: snapshot.task_id ?? state.taskId,
    updatedAt: updated === undefined ? seen : seen === undefined ? updated : Math.max(seen, updated),
  };
  switch (snapshot.status) {
    case 'queued': {
      // An older event can't move a running task back into the queue; a newer one did: the job
      // was put back (the server stopped mid-job) and starts over when its turn comes.
      if (state.phase === 'processing' && !newer) return base;
      const from = state.phase === 'processing' ? { ...base, ...FRESH_RUN } : base;
      // The server recomputes the ETA only when the queue moves: an unchanged snapshot (the same
      // updated_at) is the same estimate, given when it was first received.
      const etaS = finiteOrUndefined(snapshot.eta_s);
      const sameEstimate =
        state.phase === 'queued' &&
        etaS === state.etaS &&
        updated !== undefined &&
        updated === state.etaUpdatedAt &&
        state.etaAt !== undefined;
      return {
        ...from,
        phase: 'queued',
        position: finiteOrUndefined(snapshot.position) ?? from.position,
        etaS,
        etaAt: sameEstimate ? state.etaAt : now,
        ...(updated === undefined ? {} : { etaUpdatedAt: updated }),
      };
    }
    case 'processing': {
      const startedAt = snapshot.started_at ?? undefined;
      // Another run of the job (a crashed server's job taken up again), told by a later write.
      const newRun =
        newer &&
        startedAt !== undefined &&
        state.runStartedAt !== undefined &&
        startedAt !== state.runStartedAt;
      const run = newRun ? { ...state, ...FRESH_RUN } : state;
      // The client's one monotonic-progress guard within a run: the event stream and the polling
      // fallback both arrive here, in whatever order, and nothing after this re-checks it.
      const progress = Math.min(100, Math.max(run.progress, finiteOrUndefined(snapshot.progress) ?? 0));
      return {
        ...base,
        phase: 'processing',
        position: undefined,
        etaS: undefined,
        progress,
        stage: snapshot.stage ?? run.stage,
        preview: newerPreview(run.preview, snapshot),
        processingSince: run.processingSince ?? processingStart(snapshot, now),
        runStartedAt: run.runStartedAt ?? startedAt,
        restarted: run.restarted,
      };
    }
    case 'completed': {
      if (!snapshot.model_url) {
        return { ...base, phase: 'failed', error: { status: 500, code: 'internal_error', error: '' } };
      }
      const modelUrl = toSameOriginPath(snapshot.model_url);
      return {
        ...base,
        phase: 'completed',
        progress: 100,
        position: undefined,
        etaS: undefined,
        result: {
          modelUrl,
          downloadUrl: snapshot.download_url ? toSameOriginPath(snapshot.download_url) : modelUrl,
          ...(snapshot.lod_url ? { lodUrl: toSameOriginPath(snapshot.lod_url) } : {}),
          generationTime: finiteOrUndefined(snapshot.generation_time),
          seedCounts: !(snapshot.ignored_options ?? []).includes('seed'),
          ignoredOptions: snapshot.ignored_options ?? [],
          ...(snapshot.share_url ? { shareUrl: snapshot.share_url } : {}),
        },
      };
    }
    case 'failed': {
      // Decided by the code (and the cancelled flag), never by the words of `error`.
      const code = asErrorCode(snapshot.error_code);
      if (snapshot.cancelled === true || code === 'task_cancelled') return { ...base, phase: 'cancelled' };
      const status = finiteOrUndefined(snapshot.http_status) ?? 500;
      return { ...base, phase: 'failed', error: { status, code, error: snapshot.error ?? '' } };
    }
    default: {
      const unknown: never = snapshot.status;
      void unknown;
      return base;
    }
  }
}

/** Pure reducer: the page's task state from what the server says and what the user does. */
export function reduceTask(state: TaskState, action: TaskAction): TaskState {
  if (action.type === 'reset') return IDLE_TASK;
  if (action.type === 'upload-started') return { ...IDLE_TASK, phase: 'uploading' };
  // Following a task the page knew before a reload: its first snapshot says where it stands.
  if (action.type === 'resume') return { ...IDLE_TASK, phase: 'queued', taskId: action.taskId };
  // A finished task stays finished: late or replayed events must not revive it.
  if (isTerminal(state.phase)) return state;
  switch (action.type) {
    case 'upload-progress':
      return state.phase === 'uploading' ? { ...state, uploadFraction: action.fraction } : state;
    case 'accepted':
      if (state.phase !== 'uploading') return state;
      return { ...state, phase: 'queued', taskId: action.taskId, position: action.position };
    case 'rejected':
      return { ...state, phase: 'failed', error: action.error };
    case 'snapshot':
      if (state.phase === 'idle') return state;
      return applySnapshot(state, action.snapshot, action.now);
    case 'stream-lost':
      return state.phase === 'queued' || state.phase === 'processing'
        ? { ...state, reconnecting: true }
        : state;
    case 'refused':
      // The server will not tell about the task any more (unknown to it, or not this browser's to follow).
      return { ...state, phase: 'failed', reconnecting: false, error: action.error };
    case 'cancelled':
      return state.phase === 'idle' ? state : { ...state, phase: 'cancelled', reconnecting: false };
    case 'tick':
      if (
        state.phase === 'processing' &&
        state.processingSince !== undefined &&
        action.now - state.processingSince >= action.timeoutS * 1000
      ) {
        return { ...state, phase: 'timed-out', reconnecting: false };
      }
      return state;
    default: {
      const unknown: never = action;
      void unknown;
      return state;
    }
  }
}
