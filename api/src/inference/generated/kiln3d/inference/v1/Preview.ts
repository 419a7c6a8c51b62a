// Original file: proto/inference.proto

import type {
  Stage as _kiln3d_inference_v1_Stage,
  Stage__Output as _kiln3d_inference_v1_Stage__Output,
} from '../../../kiln3d/inference/v1/Stage';

/**
 * The occupied voxels known so far (a structure-stage shell, then a finer one after the shape
 * stage), for a live preview while the model is made. Axes are the finished model's (glTF: x
 * right, y up, z towards the viewer); voxel (x, y, z) fills [x/n - 0.5, (x+1)/n - 0.5] (likewise
 * y, z) of the model's unit cube, n = resolution. Packed as coordinate triplets, not a bitmask:
 * a surface shell holds O(n^2) voxels, a bitmask O(n^3) bits (a 96^3 shell of ~40k voxels is
 * ~120 KB as triplets, 110 KB as a bitmask, and the triplets map straight onto instances with
 * no decoding pass). Engines keep it at most 32768 voxels (coarsening the grid if need be).
 */
export interface Preview {
  /**
   * STAGE_STRUCTURE (coarse) or STAGE_GEOMETRY (finer)
   */
  stage?: _kiln3d_inference_v1_Stage;
  /**
   * n: the grid is n^3, 1-65535
   */
  resolution?: number;
  /**
   * number of voxels
   */
  count?: number;
  /**
   * count x (x, y, z): one byte per axis when resolution <= 256, else two (uint16 little-endian);
   * sorted, no repeats.
   */
  coords?: Buffer | Uint8Array | string;
}

/**
 * The occupied voxels known so far (a structure-stage shell, then a finer one after the shape
 * stage), for a live preview while the model is made. Axes are the finished model's (glTF: x
 * right, y up, z towards the viewer); voxel (x, y, z) fills [x/n - 0.5, (x+1)/n - 0.5] (likewise
 * y, z) of the model's unit cube, n = resolution. Packed as coordinate triplets, not a bitmask:
 * a surface shell holds O(n^2) voxels, a bitmask O(n^3) bits (a 96^3 shell of ~40k voxels is
 * ~120 KB as triplets, 110 KB as a bitmask, and the triplets map straight onto instances with
 * no decoding pass). Engines keep it at most 32768 voxels (coarsening the grid if need be).
 */
export interface Preview__Output {
  /**
   * STAGE_STRUCTURE (coarse) or STAGE_GEOMETRY (finer)
   */
  stage: _kiln3d_inference_v1_Stage__Output;
  /**
   * n: the grid is n^3, 1-65535
   */
  resolution: number;
  /**
   * number of voxels
   */
  count: number;
  /**
   * count x (x, y, z): one byte per axis when resolution <= 256, else two (uint16 little-endian);
   * sorted, no repeats.
   */
  coords: Buffer;
}
