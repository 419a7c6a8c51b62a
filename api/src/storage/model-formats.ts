import { UUID_V4 } from './model-names';
import { type MeshUnits, UNIT_WORDS } from './model-units';

/**
 * The file formats every completed model is offered in (issue 23, docs/design.md: Formats). The
 * GLB is the engine's own model ({modelId}.source.glb); the others are made from it, on first
 * request, by the formats tool (inference/kiln3d_inference/formats: trimesh, lib3mf, usd-core) and
 * kept beside the model in the store, with the model's retention.
 */
export const MODEL_FORMATS = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** The formats made by the formats tool (all but the engine's own GLB). */
export type BuiltFormat = Exclude<ModelFormat, 'glb'>;

/** What each format is: its media type, the extension of its download and of its stored file. */
export interface ModelFormatInfo {
  /** The Content-Type it is served with (IANA where registered). */
  readonly mediaType: string;
  /** The download's file extension, without the dot. */
  readonly extension: string;
  /**
   * True for the formats a printer takes: made at `size_mm` millimetres (a painted model without
   * one: at its own size), Z up, on the build plate.
   */
  readonly printing: boolean;
  /**
   * For people: what the file is, its coordinates' unit said by `units` (the OpenAPI document's
   * text for every model, or one model's: formatDescription). A printing format is in
   * millimetres whatever the model's unit.
   */
  readonly describe: (units: string) => string;
}

/**
 * The unit the OpenAPI document names for the formats that keep the GLB's coordinates (glb, obj,
 * ply, usdz): a generated model's metres, or a painted mesh's own units (POST /api/texture's
 * `units`: an mm mesh's GLB is in millimetres, by contract).
 */
const ANY_MODEL_UNITS = "metres, or a painted mesh's own units";

export const MODEL_FORMAT_INFO: Readonly<Record<ModelFormat, ModelFormatInfo>> = {
  glb: {
    mediaType: 'model/gltf-binary',
    extension: 'glb',
    printing: false,
    describe: (units) => `the engine's original glTF binary (${units}, Y up), for editing tools`,
  },
  obj: {
    mediaType: 'application/zip',
    extension: 'zip',
    printing: false,
    describe: (units) => `a zip of the Wavefront OBJ, its MTL and its texture images (${units}, Y up)`,
  },
  stl: {
    mediaType: 'model/stl',
    extension: 'stl',
    printing: true,
    describe: () => 'binary STL in millimetres, Z up, resting on z = 0 (geometry only)',
  },
  '3mf': {
    mediaType: 'model/3mf',
    extension: '3mf',
    printing: true,
    describe: () =>
      '3MF in millimetres, Z up, resting on z = 0, coloured by its base colour (a texture, or a colour group where a part has none; 3MF Materials and Properties)',
  },
  ply: {
    mediaType: 'application/vnd.ply',
    extension: 'ply',
    printing: false,
    describe: (units) => `binary PLY with vertex colours sampled from the texture (${units}, Y up)`,
  },
  usdz: {
    mediaType: 'model/vnd.usdz+zip',
    extension: 'usdz',
    printing: false,
    describe: (units) =>
      `a textured USDZ for AR Quick Look on iPhone and iPad (${units}, Y up, declared as its metersPerUnit)`,
  },
};

/**
 * What a format's file is, for the OpenAPI document (`units` undefined: any model) or for one
 * model (GET /api/models/{id}/formats): a generated model's GLB, OBJ, PLY and USDZ are in metres
 * (glTF's unit), a painted model's in the units its mesh was sent in (they keep its coordinates),
 * e.g. "the engine's original glTF binary (millimetres, Y up), for editing tools".
 */
export function formatDescription(format: ModelFormat, units?: MeshUnits): string {
  return MODEL_FORMAT_INFO[format].describe(units === undefined ? ANY_MODEL_UNITS : UNIT_WORDS[units]);
}

/** size_mm: the longest side of a printing format, in whole millimetres, within these bounds. */
export const SIZE_MM_MIN = 10;
export const SIZE_MM_MAX = 1000;
/**
 * The size a generated model's printing format is made at when the request names none: a figurine
 * on any printer's bed. A painted model has a size of its own (OWN_SIZE).
 */
export const DEFAULT_SIZE_MM = 100;
/** sizeMm of a painted model's stl or 3mf made at its own size (its coordinates x its units, no rescale). */
export const OWN_SIZE = 'own';

/** One file of a model to make or serve: a format and, for printing formats, its size. */
export interface FormatVariant {
  format: BuiltFormat;
  /**
   * stl and 3mf: the longest side in millimetres (whole), or OWN_SIZE for a painted model's own
   * size (`units` then set); undefined for the others.
   */
  sizeMm: number | typeof OWN_SIZE | undefined;
  /**
   * A painted model's units (storage/model-units.ts): what its OWN_SIZE is in and what its usdz
   * declares (metersPerUnit). Undefined for a generated model, and where the file does not depend
   * on it (a size in millimetres, obj, ply). Fixed per model, so no part of the variant's key.
   */
  units?: MeshUnits;
}

export function isModelFormat(value: string): value is ModelFormat {
  return (MODEL_FORMATS as readonly string[]).includes(value);
}

/** The key a variant is known by in its model's record of formats (Redis): "obj", "stl@100", "stl@own". */
export function variantKey(variant: FormatVariant): string {
  return variant.sizeMm === undefined ? variant.format : `${variant.format}@${variant.sizeMm}`;
}

/**
 * The stored file of a variant: "{modelId}.obj.zip", "{modelId}.100mm.stl", "{modelId}.own.stl",
 * "{modelId}.ply", ...
 * Never servable at /static/ (storage/model-names.ts isServableModelName): only the download route
 * hands them out, with their own Content-Type and Content-Disposition.
 */
export function formatFileName(modelId: string, variant: FormatVariant): string {
  const { extension } = MODEL_FORMAT_INFO[variant.format];
  if (variant.format === 'obj') return `${modelId}.obj.zip`;
  if (variant.sizeMm === OWN_SIZE) return `${modelId}.own.${extension}`;
  return variant.sizeMm === undefined
    ? `${modelId}.${extension}`
    : `${modelId}.${variant.sizeMm}mm.${extension}`;
}

const MODEL_FILE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.(glb|source\.glb|lod\.glb|obj\.zip|\d{2,4}mm\.stl|\d{2,4}mm\.3mf|own\.stl|own\.3mf|ply|usdz)$/;

/**
 * The model id a stored file belongs to, when the name is one of a model's files (its GLBs: web, LOD, source; or
 * a format made from them); undefined for anything else in the store (markers, partial files).
 */
export function modelIdOfFile(name: string): string | undefined {
  const match = MODEL_FILE.exec(name);
  return match !== null && UUID_V4.test(match[1]) ? match[1] : undefined;
}

/**
 * The download's file name: "kiln3d-{first 8 hex of the model id}[-{size}mm].{ext}", no size for a
 * painted model's own size (OWN_SIZE: the file is at the size the mesh was drawn). It names the
 * model the person asked for and nothing else (no task id, no upload name).
 */
export function downloadFileName(
  modelId: string,
  format: ModelFormat,
  sizeMm: number | typeof OWN_SIZE | undefined,
): string {
  const base = `kiln3d-${modelId.slice(0, 8)}`;
  const ext = MODEL_FORMAT_INFO[format].extension;
  if (format === 'obj') return `${base}-obj.zip`;
  return typeof sizeMm === 'number' ? `${base}-${sizeMm}mm.${ext}` : `${base}.${ext}`;
}

/** Where a task's model is downloaded in a format (GET /api/tasks/{id}/download). */
export function taskDownloadPath(taskId: string, format: ModelFormat): string {
  return `/api/tasks/${taskId}/download?format=${format}`;
}

/** Where a model is downloaded in a format by its id (GET /api/models/{id}/download: share pages). */
export function modelDownloadPath(modelId: string, format: ModelFormat): string {
  return `/api/models/${modelId}/download?format=${format}`;
}
