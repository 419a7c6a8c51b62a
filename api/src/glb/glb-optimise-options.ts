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
}

/** The product's settings: 2048 px textures at most, WebP quality 80. */
export const DEFAULT_OPTIMISE_OPTIONS: GlbOptimiseOptions = { maxTextureSize: 2048, webpQuality: 80 };
