// Original file: proto/inference.proto

export const Stage = {
  STAGE_UNSPECIFIED: 'STAGE_UNSPECIFIED',
  /**
   * background removal, cropping
   */
  STAGE_PREPROCESS: 'STAGE_PREPROCESS',
  /**
   * sparse structure sampling
   */
  STAGE_STRUCTURE: 'STAGE_STRUCTURE',
  /**
   * shape latent sampling (one or two passes)
   */
  STAGE_GEOMETRY: 'STAGE_GEOMETRY',
  /**
   * texture latent sampling
   */
  STAGE_TEXTURE: 'STAGE_TEXTURE',
  /**
   * mesh extraction, simplification, UV baking, GLB write
   */
  STAGE_EXPORT: 'STAGE_EXPORT',
} as const;

export type Stage =
  | 'STAGE_UNSPECIFIED'
  | 0
  /**
   * background removal, cropping
   */
  | 'STAGE_PREPROCESS'
  | 1
  /**
   * sparse structure sampling
   */
  | 'STAGE_STRUCTURE'
  | 2
  /**
   * shape latent sampling (one or two passes)
   */
  | 'STAGE_GEOMETRY'
  | 3
  /**
   * texture latent sampling
   */
  | 'STAGE_TEXTURE'
  | 4
  /**
   * mesh extraction, simplification, UV baking, GLB write
   */
  | 'STAGE_EXPORT'
  | 5;

export type Stage__Output = (typeof Stage)[keyof typeof Stage];
