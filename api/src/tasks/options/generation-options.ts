import { ApiError } from '../../common/api-error';

/**
 * The generation options of POST /api/generate (docs/design.md, HTTP contract): optional
 * multipart text fields beside the picture. Each has a fixed default, so a repeat with the same
 * fields is the same request (the seed included).
 */
export interface GenerationOptions {
  /** A preset over TRELLIS.2's pipeline types (QUALITY_PIPELINE_TYPES). */
  quality: Quality;
  /** 1 to 2147483647 (upstream's int32 seed range); the same seed, picture and options repeat a result. */
  seed: number;
  /** Texture side in pixels. */
  texture_size: TextureSize;
  /** Decimation target: the model's face count at most. */
  faces: number;
}

export type Quality = 'fast' | 'balanced' | 'high';
export type TextureSize = 1024 | 2048 | 4096;

/**
 * Presets to TRELLIS.2 pipeline types (trellis2_image_to_3d.py run(), pipeline_type): 'balanced'
 * is upstream's own default, the 1024 cascade, which runs on a 24 GB card with low_vram; 'high'
 * is the 1536 cascade (longest: upstream reports ~60 s of sampling on an H100 alone).
 */
export const QUALITY_PIPELINE_TYPES: Readonly<Record<Quality, string>> = {
  fast: '512',
  balanced: '1024_cascade',
  high: '1536_cascade',
};

export const QUALITIES = Object.keys(QUALITY_PIPELINE_TYPES) as Quality[];
export const TEXTURE_SIZES: readonly TextureSize[] = [1024, 2048, 4096];
export const MAX_SEED = 2_147_483_647;
/** Bounds of `faces`: below, a model loses its shape; above, upstream's rasteriser limit nears. */
export const MIN_FACES = 10_000;
export const MAX_FACES = 1_000_000;

export const DEFAULT_OPTIONS: Readonly<GenerationOptions> = {
  quality: 'balanced',
  seed: 42,
  texture_size: 2048,
  faces: 500_000,
};

/** The multipart field names, in the order they are checked. */
export const OPTION_FIELDS = ['quality', 'seed', 'texture_size', 'faces'] as const;

/** 400 invalid_option naming the field and its rule. */
export function invalid(field: string, rule: string): ApiError {
  return new ApiError('invalid_option', { params: { field, rule } });
}

/** A decimal integer as sent in a form field (no sign, no exponent, no spaces); undefined otherwise. */
export function integerField(raw: string): number | undefined {
  return /^\d{1,10}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * The trimmed text of a multipart body's field `name` (multer's req.body), undefined when absent or
 * empty. Throws ApiError 400 invalid_option when the field was sent twice.
 */
export function optionField(body: unknown, name: string): string | undefined {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(name, 'send it once');
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The text field an upload may carry besides its options: the webhook's URL (webhooks/callback-url). */
export const CALLBACK_FIELD = 'callback_url';

/**
 * Refuses a text field the request does not take (a typo such as `texure_size` would otherwise
 * be dropped and the default used without a word): ApiError 400 invalid_option naming it and
 * the fields there are. The name is cut to 40 characters (it is the client's text).
 * @param body multer's req.body (its text fields)
 * @param options the route's option fields (OPTION_FIELDS, TEXTURE_OPTION_FIELDS); CALLBACK_FIELD
 *   is taken by every upload
 */
export function refuseUnknownFields(body: unknown, options: readonly string[]): void {
  const known = [...options, CALLBACK_FIELD];
  const names = typeof body === 'object' && body !== null ? Object.keys(body) : [];
  const unknown = names.find((name) => !known.includes(name));
  if (unknown === undefined) return;
  const shown = unknown.length > 40 ? `${unknown.slice(0, 40)}…` : unknown;
  throw invalid(shown, `not a field of this request; its fields are ${known.join(', ')}`);
}

/** `seed` (1 to MAX_SEED) from a form field's text; throws ApiError 400 invalid_option. */
export function parseSeed(raw: string): number {
  const value = integerField(raw);
  if (value === undefined || value < 1 || value > MAX_SEED)
    throw invalid('seed', `an integer from 1 to ${MAX_SEED}`);
  return value;
}

/** `texture_size` (TEXTURE_SIZES) from a form field's text; throws ApiError 400 invalid_option. */
export function parseTextureSize(raw: string): TextureSize {
  const value = integerField(raw);
  if (value === undefined || !(TEXTURE_SIZES as number[]).includes(value)) {
    throw invalid('texture_size', `one of ${TEXTURE_SIZES.join(', ')}`);
  }
  return value as TextureSize;
}

/**
 * The options from a multipart body's text fields (multer's req.body): an absent or empty field
 * takes its default. Throws ApiError 400 naming the field, e.g. `Invalid quality: one of fast,
 * balanced, high`, for a bad value, a field sent twice, or a field the route does not take.
 */
export function parseGenerationOptions(body: unknown): GenerationOptions {
  refuseUnknownFields(body, OPTION_FIELDS);
  const options: GenerationOptions = { ...DEFAULT_OPTIONS };
  const quality = optionField(body, 'quality');
  if (quality !== undefined) {
    if (!(QUALITIES as string[]).includes(quality))
      throw invalid('quality', `one of ${QUALITIES.join(', ')}`);
    options.quality = quality as Quality;
  }
  const seed = optionField(body, 'seed');
  if (seed !== undefined) options.seed = parseSeed(seed);
  const textureSize = optionField(body, 'texture_size');
  if (textureSize !== undefined) options.texture_size = parseTextureSize(textureSize);
  const faces = optionField(body, 'faces');
  if (faces !== undefined) {
    const value = integerField(faces);
    if (value === undefined || value < MIN_FACES || value > MAX_FACES) {
      throw invalid('faces', `an integer from ${MIN_FACES} to ${MAX_FACES}`);
    }
    options.faces = value;
  }
  return options;
}
