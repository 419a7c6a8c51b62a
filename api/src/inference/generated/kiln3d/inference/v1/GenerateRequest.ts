// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface GenerateRequest {
  /**
   * Opaque id used in logs on both sides.
   */
  taskId?: string;
  /**
   * The normalised input picture (PNG, EXIF applied, at most 2048 px a side), sent as bytes
   * so that a sidecar on another host (INFERENCE_URL) needs no shared input folder.
   */
  image?: Buffer | Uint8Array | string;
  /**
   * Random seed; 0 lets the engine choose.
   */
  seed?: number | string | Long;
  /**
   * Deadline the engine stops itself at (seconds, 0 = none). The api enforces it as well.
   */
  timeoutS?: number;
  /**
   * Generation options (POST /api/generate's quality, texture_size, faces); the zero value lets
   * the engine use its own setting. An engine that has no such setting ignores it and says so
   * in Done.ignored. pipeline_type: TRELLIS.2's '512', '1024', '1024_cascade', '1536_cascade'.
   */
  pipelineType?: string;
  /**
   * Texture side in pixels (1024, 2048, 4096).
   */
  textureSize?: number;
  /**
   * Decimation target: the model's face count at most.
   */
  faces?: number;
  /**
   * Set for a texturing job (POST /api/texture): the mesh to paint from the picture, which the
   * model keeps (the same triangles at the same positions, in the mesh's own units and place)
   * while it gains UVs and a base-colour texture. The api's mesh intake wrote it
   * (kiln3d_inference.meshes): a GLB of one triangle mesh, POSITION, NORMAL (how the file shades
   * each corner; an older api's has none) and indices only, no compression, finite, at least one face and at most the intake's limit. Empty: a generation.
   * `faces` does not apply to texturing (the geometry is the mesh's own) and is ignored.
   */
  mesh?: Buffer | Uint8Array | string;
  /**
   * Texturing on trellis2: Trellis2TexturingPipeline.run's `resolution` (512 or 1024: the voxel
   * grid the texture latent is sampled on); 0 lets the engine choose. Others ignore it.
   */
  textureResolution?: number;
}

export interface GenerateRequest__Output {
  /**
   * Opaque id used in logs on both sides.
   */
  taskId: string;
  /**
   * The normalised input picture (PNG, EXIF applied, at most 2048 px a side), sent as bytes
   * so that a sidecar on another host (INFERENCE_URL) needs no shared input folder.
   */
  image: Buffer;
  /**
   * Random seed; 0 lets the engine choose.
   */
  seed: number;
  /**
   * Deadline the engine stops itself at (seconds, 0 = none). The api enforces it as well.
   */
  timeoutS: number;
  /**
   * Generation options (POST /api/generate's quality, texture_size, faces); the zero value lets
   * the engine use its own setting. An engine that has no such setting ignores it and says so
   * in Done.ignored. pipeline_type: TRELLIS.2's '512', '1024', '1024_cascade', '1536_cascade'.
   */
  pipelineType: string;
  /**
   * Texture side in pixels (1024, 2048, 4096).
   */
  textureSize: number;
  /**
   * Decimation target: the model's face count at most.
   */
  faces: number;
  /**
   * Set for a texturing job (POST /api/texture): the mesh to paint from the picture, which the
   * model keeps (the same triangles at the same positions, in the mesh's own units and place)
   * while it gains UVs and a base-colour texture. The api's mesh intake wrote it
   * (kiln3d_inference.meshes): a GLB of one triangle mesh, POSITION, NORMAL (how the file shades
   * each corner; an older api's has none) and indices only, no compression, finite, at least one face and at most the intake's limit. Empty: a generation.
   * `faces` does not apply to texturing (the geometry is the mesh's own) and is ignored.
   */
  mesh: Buffer;
  /**
   * Texturing on trellis2: Trellis2TexturingPipeline.run's `resolution` (512 or 1024: the voxel
   * grid the texture latent is sampled on); 0 lets the engine choose. Others ignore it.
   */
  textureResolution: number;
}
