import { DEFAULT_MESH_UNITS, MESH_UNITS, type MeshUnits, isMeshUnits } from '../../storage/model-units';
import {
  DEFAULT_OPTIONS,
  type TextureSize,
  invalid,
  integerField,
  optionField,
  parseSeed,
  parseTextureSize,
  refuseUnknownFields,
} from './generation-options';

/**
 * The options of POST /api/texture (docs/design.md, Texturing): optional multipart text fields
 * beside the mesh and the picture, each with a fixed default. `quality` and `faces` do not apply
 * (the geometry is the mesh's own) and, like any other field, are ignored.
 */
export interface TextureOptions {
  /** 1 to 2147483647, as for a generation. */
  seed: number;
  /** Texture side in pixels. */
  texture_size: TextureSize;
  /**
   * The voxel grid the texture is sampled on (Trellis2TexturingPipeline.run's `resolution`,
   * trellis2_texturing.py: 512 or 1024, upstream's default 1024); engines without one ignore it.
   */
  texture_resolution: TextureResolution;
  /**
   * The length of one unit of the mesh's coordinates (storage/model-units.ts), whatever its
   * format, GLB included: the painted model's own size is its coordinates x this (its STL and 3MF
   * without size_mm, its USDZ's metersPerUnit). No engine reads it.
   */
  units: MeshUnits;
}

export type TextureResolution = 512 | 1024;
export const TEXTURE_RESOLUTIONS: readonly TextureResolution[] = [512, 1024];

export const DEFAULT_TEXTURE_OPTIONS: Readonly<TextureOptions> = {
  seed: DEFAULT_OPTIONS.seed,
  texture_size: DEFAULT_OPTIONS.texture_size,
  texture_resolution: 1024,
  units: DEFAULT_MESH_UNITS,
};

/** The multipart field names, in the order they are checked. */
export const TEXTURE_OPTION_FIELDS = ['seed', 'texture_size', 'texture_resolution', 'units'] as const;

/**
 * The texturing options from a multipart body's text fields: an absent or empty field takes its
 * default. Throws ApiError 400 invalid_option naming the field, e.g. `Invalid texture_resolution:
 * one of 512, 1024` or `Invalid units: one of m, cm, mm, in`, for a bad value, a field sent twice, or a field the route does not take.
 */
export function parseTextureOptions(body: unknown): TextureOptions {
  refuseUnknownFields(body, TEXTURE_OPTION_FIELDS);
  const options: TextureOptions = { ...DEFAULT_TEXTURE_OPTIONS };
  const seed = optionField(body, 'seed');
  if (seed !== undefined) options.seed = parseSeed(seed);
  const textureSize = optionField(body, 'texture_size');
  if (textureSize !== undefined) options.texture_size = parseTextureSize(textureSize);
  const resolution = optionField(body, 'texture_resolution');
  if (resolution !== undefined) {
    const value = integerField(resolution);
    if (value === undefined || !(TEXTURE_RESOLUTIONS as number[]).includes(value)) {
      throw invalid('texture_resolution', `one of ${TEXTURE_RESOLUTIONS.join(', ')}`);
    }
    options.texture_resolution = value as TextureResolution;
  }
  const units = optionField(body, 'units');
  if (units !== undefined) {
    if (!isMeshUnits(units)) throw invalid('units', `one of ${MESH_UNITS.join(', ')}`);
    options.units = units;
  }
  return options;
}
