/** Shapes of the HTTP contract in docs/design.md, as the browser sees them. */

/** A task's status on the server; also the `event:` name of its SSE events. */
export type TaskStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';

/** What a processing task's snapshot says of its latest voxel preview (GET /api/tasks/{id}/preview). */
export interface TaskPreviewInfo {
  rev: number;
  stage: string;
  resolution: number;
  count: number;
  encoding: 'xyz8' | 'xyz16le';
  bytes: number;
  url: string;
}

/** The task's JSON snapshot: the `data` of every SSE event and the body of GET /api/tasks/{id}. */
export interface TaskSnapshot {
  task_id?: string;
  status: TaskStatus;
  /** queued: 1 = runs next. */
  position?: number | null;
  eta_s?: number | null;
  progress?: number | null;
  stage?: string | null;
  model_url?: string | null;
  download_url?: string | null;
  generation_time?: number | null;
  error?: string | null;
  /** HTTP status the failure maps to (504, 500...), when the server includes it. */
  http_status?: number | null;
  code?: number | null;
  /** ISO times from the server's clock. */
  started_at?: string | null;
  updated_at?: string | null;
  /** True on a `failed` snapshot when the task was cancelled (DELETE /api/tasks/{id}). */
  cancelled?: boolean | null;
  /** processing: the latest voxel preview, once the engine sent one. */
  preview?: TaskPreviewInfo | null;
}

/** The generation options of POST /api/generate; an absent one takes the server's default. */
export interface GenerationChoice {
  quality?: 'fast' | 'balanced' | 'high';
  /** 1 to 2147483647. */
  seed?: number;
  texture_size?: 1024 | 2048 | 4096;
  /** Decimation target, 10000 to 1000000. */
  faces?: number;
}

/** A quality preset as GET /api/qualities lists it: whether this GPU offers it, and how long it takes. */
export interface QualityPreset {
  quality: 'fast' | 'balanced' | 'high';
  pipeline_type: string;
  /** The preset the server takes when the request names none. */
  default: boolean;
  /** False: its measured jobs do not fit the server's job limit; asking for it answers 422. */
  offered: boolean;
  /** Seconds a job of it is expected to take on this GPU. */
  expected_s: number;
  /** Mean of its measured jobs (s), or null before one ran. */
  measured_s: number | null;
  measured_jobs: number;
}

/** The 202 answer of POST /api/generate. */
export interface GenerateAccepted {
  success: true;
  task_id: string;
  status_url: string;
  queue_position: number;
}

/** Limits the server publishes at GET /api/config. */
export interface ServerConfig {
  max_upload_mb: number;
  retention_hours: number;
  job_timeout_s: number;
  max_queue: number;
}

/** The documented fallback when /api/config cannot be read. */
export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  max_upload_mb: 10,
  retention_hours: 48,
  job_timeout_s: 180,
  max_queue: 5,
};

/** A failure of a request or a task, as the server (or the browser's own checks) named it. */
export interface ApiError {
  /** HTTP status; 0 when the network failed before any answer. */
  status: number;
  /** The server's `error` message, verbatim. */
  error: string;
  /** Seconds from Retry-After, for 503. */
  retryAfterS?: number;
}

/** The documented `error` messages, verbatim (docs/design.md's error table). */
export const ERROR_MESSAGES = {
  unsupported: 'Unsupported image format',
  tooSmall: 'Image too small, min 64x64',
  noObject: 'No object found in the image',
  tooLarge: (maxMb: number): string => `File too large, max ${maxMb}MB`,
  busy: 'Server busy, retry later',
  tooMany: 'Too many requests, retry later',
  unauthorized: 'Unauthorized',
  timeout: 'Generation timeout',
  oom: 'GPU out of memory',
  internal: 'Internal error',
} as const;
