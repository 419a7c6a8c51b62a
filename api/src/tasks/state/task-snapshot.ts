import type { ErrorCode } from '../../common/api-error';
import { absoluteUrl } from '../../common/public-url';
import { MODEL_FORMATS, type ModelFormat, taskDownloadPath } from '../../storage/model-formats';
import { sharePagePath } from '../../storage/model-names';
import type { MeshUnits } from '../../storage/model-units';

export type TaskStatus = 'queued' | 'processing' | 'completed' | 'failed';

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * What a task's snapshot says of its latest voxel preview (the voxels themselves are served at
 * GET /api/tasks/{id}/preview): `rev` counts the previews of the task (1, 2, ...), so a client
 * fetches each one once.
 */
export interface TaskPreviewRecord {
  rev: number;
  /** structure (coarse) or geometry (finer). */
  stage: string;
  /** n: the voxels lie on an n³ grid over the model's unit cube. */
  resolution: number;
  count: number;
  /** 'xyz8' (n <= 256) or 'xyz16le'. */
  encoding: 'xyz8' | 'xyz16le';
  bytes: number;
}

/**
 * The options a task runs with, as stored and shown: a generation's (tasks/options/
 * generation-options.ts: quality, seed, texture_size, faces) or a texturing's
 * (texture-options.ts: seed, texture_size, texture_resolution, units).
 */
export interface TaskOptionsRecord {
  /** generation only */
  quality?: string;
  seed: number;
  texture_size: number;
  /** generation only */
  faces?: number;
  /** texturing only */
  texture_resolution?: number;
  /**
   * texturing only: the length of one unit of the mesh's coordinates (m, cm, mm, in), what its
   * painted model's own size is in; absent in a texturing task stored before units existed.
   */
  units?: MeshUnits;
}

/**
 * What a task's job does: `generate` makes a model from the picture (POST /api/generate),
 * `texture` paints the uploaded mesh from the picture (POST /api/texture).
 */
export type TaskKind = 'generate' | 'texture';

/** The preview as clients see it: the record plus its absolute URL. */
export type TaskPreviewView = TaskPreviewRecord & { url: string };

/**
 * A task as stored in Redis (snake_case: it is the JSON clients see, less the URL fields).
 * URLs are stored as paths and made absolute per reader, so a LAN client and one behind the
 * tunnel each get a URL that works for them.
 */
export interface TaskRecord {
  task_id: string;
  /** Stored for texturing tasks only; absent means `generate` (every task stored before texturing). */
  kind?: TaskKind;
  status: TaskStatus;
  created_at: string;
  updated_at: string;
  /** queued: 1 = runs next. */
  position?: number;
  /** queued: seconds until it is expected to finish waiting (position x recent mean duration). */
  eta_s?: number;
  /** processing / completed: 0-100. */
  progress?: number;
  stage?: string;
  started_at?: string;
  finished_at?: string;
  /**
   * The id its model files are named by (storage/model-names.ts: "{model_id}.glb"), a random UUID
   * v4 given at creation; a repeat that reuses a kept model copies it. Never shown (no view lists
   * it): the model URLs carry it. Absent in a task stored before model ids: modelIdOf.
   */
  model_id?: string;
  model_path?: string;
  download_path?: string;
  /** completed: the LOD's path (StorageService.modelPath of "{model_id}.lod.glb"); absent without one. */
  lod_path?: string;
  /** completed: seconds from start of processing to the model being served. */
  generation_time?: number;
  engine?: string;
  triangles?: number;
  /**
   * completed: whether the model's surface is closed (what a slicer needs), once a download of
   * another format than glb measured it. Kept beside the snapshot in the task's hash, never in
   * it (TaskStore.noteWatertight), and added by TaskStore.get.
   */
  watertight?: boolean;
  /** failed: the error message of the HTTP contract. */
  error?: string;
  /** failed: that message's stable code (common/error-table.ts), what clients decide by. */
  error_code?: ErrorCode;
  /** failed: the HTTP status that error maps to (504, 500, 400, 409 for a cancelled task). */
  http_status?: number;
  /** failed: true when the task was cancelled (DELETE /api/tasks/{id}). */
  cancelled?: boolean;
  /** processing: the latest voxel preview, once the engine sent one. */
  preview?: TaskPreviewRecord;
  /** The generation options (defaults filled in): the seed here is the one the job uses. */
  options?: TaskOptionsRecord;
  /** completed: options the engine has no setting for, so they made no difference. */
  ignored_options?: string[];
  /**
   * completed: an instant repeat, answered with the model of task `reused_from` (no job ran).
   * Kept for the logs and the repeat chain only: no view shows either (issue 19: `reused_from`
   * would name another person's task, and `reused` would tell a requester that someone else
   * uploaded the same picture).
   */
  reused?: boolean;
  reused_from?: string;
}

/**
 * The id a task's model files are named by: its model_id, or for a task stored before model ids
 * (kept 48 h, so only across an upgrade) its task id, which named its files then.
 */
export function modelIdOf(record: Pick<TaskRecord, 'task_id' | 'model_id'>): string {
  return record.model_id ?? record.task_id;
}

/** A field set to null is removed from the stored record. */
export type TaskPatch = { [K in keyof TaskRecord]?: TaskRecord[K] | null };

/** A patch of a task's figures that leaves its status alone (progress, stage, preview). */
export type TaskFiguresPatch = Omit<TaskPatch, 'status'>;

/** One format a completed task's model is offered in, and where to download it. */
export interface TaskFormatOffer {
  format: ModelFormat;
  /** GET /api/tasks/{id}/download?format=…, absolute. */
  url: string;
}

/** What clients get: the record with model_url/download_url absolute, and a completed task's formats. */
export type TaskView = Omit<
  TaskRecord,
  'model_id' | 'model_path' | 'download_path' | 'lod_path' | 'preview' | 'reused' | 'reused_from' | 'kind'
> & {
  kind: TaskKind;
  model_url?: string;
  download_url?: string;
  /** The LOD, absolute: drawn first (issue 21). */
  lod_url?: string;
  /** completed: the model's share page /m/{model_id} on the api's public origin. */
  share_url?: string;
  formats?: TaskFormatOffer[];
  preview?: TaskPreviewView;
};

/** Where a task's latest preview is served; `rev` makes each preview's URL its own. */
export function previewPath(taskId: string, rev: number): string {
  return `/api/tasks/${taskId}/preview?rev=${rev}`;
}

export function toPreviewView(taskId: string, preview: TaskPreviewRecord, baseUrl: string): TaskPreviewView {
  return { ...preview, url: absoluteUrl(baseUrl, previewPath(taskId, preview.rev)) };
}

/** Field order of the JSON clients get (Redis hands fields back in any order). */
const VIEW_ORDER: readonly (keyof TaskView)[] = [
  'task_id',
  'kind',
  'status',
  'position',
  'eta_s',
  'progress',
  'stage',
  'model_url',
  'download_url',
  'lod_url',
  'share_url',
  'formats',
  'watertight',
  'generation_time',
  'error',
  'error_code',
  'http_status',
  'cancelled',
  'engine',
  'triangles',
  'options',
  'ignored_options',
  'preview',
  'created_at',
  'started_at',
  'finished_at',
  'updated_at',
];

export function toTaskView(record: TaskRecord, baseUrl: string): TaskView {
  const { model_path, download_path, lod_path, preview, kind, ...rest } = record;
  const unordered: TaskView = { ...rest, kind: kind ?? 'generate' };
  if (preview !== undefined) unordered.preview = toPreviewView(record.task_id, preview, baseUrl);
  if (model_path !== undefined) unordered.model_url = absoluteUrl(baseUrl, model_path);
  if (download_path !== undefined) unordered.download_url = absoluteUrl(baseUrl, download_path);
  if (lod_path !== undefined) unordered.lod_url = absoluteUrl(baseUrl, lod_path);
  if (record.status === 'completed') {
    if (model_path !== undefined)
      unordered.share_url = absoluteUrl(baseUrl, sharePagePath(modelIdOf(record)));
    unordered.formats = MODEL_FORMATS.map((format) => ({
      format,
      url: absoluteUrl(baseUrl, taskDownloadPath(record.task_id, format)),
    }));
  }
  const view: Record<string, unknown> = {};
  for (const key of VIEW_ORDER) {
    if (unordered[key] !== undefined) view[key] = unordered[key];
  }
  return view as unknown as TaskView;
}

/** One stored version of a task; seq is the SSE event id (monotonic per task). */
export interface TaskState {
  seq: number;
  record: TaskRecord;
}
