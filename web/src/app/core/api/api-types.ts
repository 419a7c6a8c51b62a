/**
 * Names for the HTTP contract's shapes, as the browser uses them. The shapes themselves are
 * generated from api/openapi.json (generated/openapi.ts, by openapi-typescript, never edited by
 * hand): nothing here restates a field of the server's answers.
 */
import type { components } from './generated/openapi';

type Schemas = components['schemas'];

/** The stable machine code of an error (the api's error table): what the page decides by. */
export type ErrorCode = Schemas['ErrorCode'];

/** Every error answer of the api: {success: false, error, code}. */
export type ErrorBody = Schemas['ErrorBodyDto'];

/** The task snapshot: the `data` of every SSE event and the body of GET /api/tasks/{id}. */
export type TaskView = Schemas['TaskViewDto'];

/** A task's status on the server (queued, processing, completed, failed); also its SSE event names. */
export type TaskStatus = TaskView['status'];

/**
 * A snapshot as the page reads it: an event's data may lack any field but its status (the
 * stream fills that from the event name), so every other field is read defensively.
 */
export type TaskSnapshot = Partial<TaskView> & Pick<TaskView, 'status'>;

/** What a processing task's snapshot says of its latest voxel preview (GET /api/tasks/{id}/preview). */
export type TaskPreviewInfo = Schemas['TaskPreviewDto'];

/** The generation options of POST /api/generate; an absent one takes the server's default. */
export type GenerationChoice = Partial<
  Pick<Schemas['GenerateUploadDto'], 'quality' | 'seed' | 'texture_size' | 'faces'>
>;

/**
 * The options of POST /api/texture (seed, texture_size, texture_resolution, units); an absent one
 * takes the server's default.
 */
export type TextureChoice = Partial<
  Pick<Schemas['TextureUploadDto'], 'seed' | 'texture_size' | 'texture_resolution' | 'units'>
>;

/** What a task makes (the snapshot's `kind`): a model from a picture, or an uploaded mesh painted from one. */
export type TaskKind = TaskView['kind'];

/** A quality preset as GET /api/qualities lists it: whether this GPU offers it, and how long it takes. */
export type QualityPreset = Schemas['QualityPresetDto'];

/** The request options no worker's engine uses, by kind of task (GET /api/qualities `unused_options`). */
export type UnusedOptions = Schemas['UnusedOptionsDto'];

/** GET /api/qualities as the options panel uses it: the presets and the options the engine never uses. */
export interface QualityOffer {
  presets: QualityPreset[];
  unused: UnusedOptions;
}

/** The 202 answer of POST /api/generate. */
export type GenerateAccepted = Schemas['GenerateAcceptedDto'];

/** Limits the server publishes at GET /api/config. */
export type ServerConfig = Schemas['PublicConfigDto'];

/** MAX_MESH_MB's documented default (POST /api/texture's mesh limit). */
export const DEFAULT_MAX_MESH_MB = 50;

/** The documented fallback when /api/config cannot be read. */
export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  max_upload_mb: 10,
  retention_hours: 48,
  job_timeout_s: 180,
  max_queue: 5,
  max_mesh_mb: DEFAULT_MAX_MESH_MB,
  texture_max_faces: 200_000,
  public_base_url: null,
};

/** A failure of a request or a task, as the server (or the browser's own checks) named it. */
export interface ApiError {
  /** HTTP status; 0 when the network failed before any answer. */
  status: number;
  /**
   * The error's code, from the server's body or a failed task's `error_code` (the browser's own
   * checks use the server's codes too); undefined when the answer had none (the network, a
   * proxy's page). The page decides by it, never by the words.
   */
  code: ErrorCode | undefined;
  /** The server's `error` message, verbatim ('' when there was none): shown only for a code the page has no words for. */
  error: string;
  /** Seconds from Retry-After, for 503 and 429. */
  retryAfterS?: number;
}
