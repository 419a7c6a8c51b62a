/**
 * The web model's settings, apart from the recipe (glb-optimize.ts) so the main thread can name
 * them without loading gltf-transform and glTF-Validator, which only the worker thread runs: each
 * api start (every test's, too) skips their parsing.
 */
export interface GlbOptimiseOptions {
  /** Longest texture side after resizing (never enlarged). */
  maxTextureSize: number;
  /** WebP quality, 1-100. */
  webpQuality: number;
  /** The small level of detail made beside the web model (issue 21); none when absent. */
  lod?: LodOptions;
}

/**
 * The small level of detail (LOD) the viewer draws first while the web model is on its way
 * (issue 21, "first frame fast"): meshoptimizer's simplifier (gltf-transform `simplify`) after
 * `weld`, small WebP textures, the same meshopt compression as the web model.
 */
export interface LodOptions {
  /** Share of the vertices to aim for (0-1); the simplifier stops earlier past `error`. */
  ratio: number;
  /** Largest deviation allowed, as a fraction of the mesh's radius (meshoptimizer's target error). */
  error: number;
  /** Longest texture side, px. */
  maxTextureSize: number;
  /** WebP quality, 1-100. */
  webpQuality: number;
  /**
   * gltf-transform `meshopt` level: 'medium' quantises every attribute; 'high' also applies
   * meshopt's lossy filters (normals octahedral, 8 bits). Positions are quantised alike in both,
   * so the bounds, and the camera framed on them, do not move.
   */
  meshoptLevel: 'medium' | 'high';
}

/**
 * The LOD's settings: 2 % of the vertices within 1 % of the radius, 256 px WebP at quality 70,
 * meshopt's filters on (a stand-in drawn for a moment): a few percent of the web model's bytes
 * (measured in api/bench/rows/delivery.row.ts; docs/performance.md).
 */
export const DEFAULT_LOD_OPTIONS: LodOptions = {
  ratio: 0.02,
  error: 0.01,
  maxTextureSize: 256,
  webpQuality: 70,
  meshoptLevel: 'high',
};

/** The product's settings: 2048 px textures at most, WebP quality 80, and the LOD. */
export const DEFAULT_OPTIMISE_OPTIONS: GlbOptimiseOptions = {
  maxTextureSize: 2048,
  webpQuality: 80,
  lod: DEFAULT_LOD_OPTIONS,
};
