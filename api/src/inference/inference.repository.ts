/**
 * The api's view of the inference sidecar (docs/design.md, Inference sidecar): "just another
 * repository". The queue processor depends on this abstract class only; the gRPC client
 * (client/) and the sidecar, managed or remote (sidecar/), behind it live in this folder.
 */
export type InferenceStage = 'preprocess' | 'structure' | 'geometry' | 'texture' | 'export';

export interface InferenceProgress {
  stage: InferenceStage;
  /** Overall 0-100, never decreasing within a job: the sidecar owns this (proto Progress.percent), the api passes it on. */
  percent: number;
  message: string;
}

/**
 * The voxels an engine knows before its mesh exists (proto Preview): an n³ grid over the model's
 * unit cube in the model's axes (x right, y up, z towards the viewer); `coords` holds `count`
 * sorted (x, y, z) triplets, one byte per axis when n <= 256, else uint16 little-endian.
 */
export interface InferencePreview {
  /** structure (coarse, first) or geometry (finer, after the shape stage). */
  stage: InferenceStage;
  resolution: number;
  count: number;
  coords: Buffer;
}

/** Bytes per axis of a preview's coordinates at this grid resolution (proto Preview.coords). */
export function previewBytesPerAxis(resolution: number): 1 | 2 {
  return resolution <= 256 ? 1 : 2;
}

/** A finished job; the model itself is at InferenceJob.modelPath, checked against `bytes` and its SHA-256. */
export interface InferenceResult {
  triangles: number;
  /** The model's length in bytes. */
  bytes: number;
  seconds: number;
  /** Which engine made the model: trellis2, inflate or simulate. */
  engine: string;
  /** The seed the engine used (0: it uses none). */
  seed?: number;
  /** Job options the engine has no setting for (proto Done.ignored: seed, pipeline_type, texture_size, faces, texture_resolution). */
  ignored?: string[];
}

/**
 * OOM, INVALID_INPUT, TIMEOUT, CANCELLED, INTERNAL come from the sidecar (proto ErrorCode);
 * TIMEOUT is also raised by the api's own limit; UNAVAILABLE means the sidecar died or could
 * not be reached during the job; RESTARTED that an operator's forced restart killed the sidecar
 * during the job (POST /api/admin/inference/restart?force=true).
 */
export type InferenceErrorCode =
  | 'OOM'
  | 'INVALID_INPUT'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'RESTARTED';

export class InferenceError extends Error {
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

export interface InferenceJob {
  taskId: string;
  /** Normalised PNG bytes. */
  image: Buffer;
  /**
   * Local path where the model the sidecar streams back is written (a temporary name first; only a
   * complete model whose length and SHA-256 match is renamed here). The sidecar never sees it.
   */
  modelPath: string;
  seed: number;
  /** TRELLIS.2 pipeline type ('512', '1024_cascade', ...); absent: the engine's setting. */
  pipelineType?: string;
  /** Texture side in pixels; absent: the engine's setting. */
  textureSize?: number;
  /** Decimation target (faces at most); absent: the engine's setting. */
  faces?: number;
  /**
   * A texturing job's mesh (proto GenerateRequest.mesh: the intake's canonical GLB); absent: a
   * generation.
   */
  mesh?: Buffer;
  /** Texturing: the voxel grid the texture is sampled on (trellis2: 512 or 1024); absent: the engine's. */
  textureResolution?: number;
  /** The job's limit; past it generate() rejects with TIMEOUT, killing the sidecar if needed. */
  timeoutS: number;
}

export type SidecarState = 'starting' | 'loading' | 'ready' | 'busy' | 'failed' | 'down' | 'restarting';

export interface InferenceHealth {
  state: SidecarState;
  engine: string;
  device: string;
  vramUsedBytes: number;
  vramTotalBytes: number;
  jobsDone: number;
  message: string;
  /** How the engine paints an uploaded mesh, in words (proto HealthResponse.texturing); '' when unknown. */
  texturing: string;
  /**
   * The request options the engine never uses, by kind of job, in proto names (proto
   * HealthResponse.unused_generation_options, unused_texture_options; as Done.ignored names them);
   * empty before the sidecar's first health report.
   */
  unusedGenerationOptions: string[];
  unusedTextureOptions: string[];
  /** True when this api spawned the sidecar; false with INFERENCE_URL. */
  managed: boolean;
  pid: number | null;
  restarts: number;
}

export abstract class InferenceRepository {
  /**
   * Runs one job. Resolves with the result, or rejects with InferenceError. Aborting the
   * signal cancels the job (rejects with CANCELLED). The job's timeoutS is enforced here.
   * onPreview gets each well-formed voxel preview (the latest one wins); a malformed one is dropped.
   */
  abstract generate(
    job: InferenceJob,
    onProgress: (progress: InferenceProgress) => void,
    signal?: AbortSignal,
    onPreview?: (preview: InferencePreview) => void,
  ): Promise<InferenceResult>;

  /** Last known health; cheap, never blocks on a running job. */
  abstract health(): Promise<InferenceHealth>;

  /**
   * Resolves once the sidecar reports ready; rejects with UNAVAILABLE after timeoutMs, with
   * CANCELLED as soon as `signal` aborts (so a graceful stop never waits on an unreachable sidecar).
   */
  abstract waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void>;

  /** Ops restart: graceful waits for the running job; force kills at once. */
  abstract restart(options: { force: boolean }): Promise<void>;
}
