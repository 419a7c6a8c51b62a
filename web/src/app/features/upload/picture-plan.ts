import type { ImageKind } from './upload-validation';

/**
 * A picture whose longer side is over this many pixels is scaled before upload even when its
 * bytes fit: the api keeps at most 2048 px of it (docs/design.md, "oriented and scaled to at most
 * 2048 px") and the engine about a megapixel, so anything past twice the api's size is only
 * upload time on a phone's network (and over 8192 px the server refuses it outright).
 */
export const SCALE_ABOVE_PX = 4096;

/**
 * The longer side a scaled picture is given first: 1.5 times the api's 2048 px, so the api's own
 * resampling still has the last word on the picture the engine sees.
 */
export const TARGET_LONG_SIDE_PX = 3072;

/**
 * The shortest side the server takes (the api's MIN_SIDE_PX, tasks/intake/image-normaliser.ts:
 * 400 image_too_small below it): scaling never takes a picture that has it below it.
 */
export const MIN_SIDE_PX = 64;

/** The encodings a scaled picture is made in: the formats the server accepts. */
export type PictureType = 'image/jpeg' | 'image/png' | 'image/webp';

/** One try at encoding: the longer side (never above the picture's own) and the format. */
export interface EncodeAttempt {
  longSide: number;
  type: PictureType;
  /** JPEG/WebP quality, 0-1; PNG is lossless and ignores it. */
  quality: number;
}

/** What is done with a picture before it is sent. */
export type PictureDecision =
  | { action: 'keep' }
  | { action: 'refuse'; code: 'unsupported_image' | 'file_too_large' }
  | { action: 'scale'; reason: 'bytes' | 'pixels' | 'format' };

/** What is known of a picture when the decision is made. */
export interface PictureFacts {
  /** Its size in bytes. */
  bytes: number;
  /** The upload limit in bytes (MAX_UPLOAD_MB). */
  maxBytes: number;
  /** Its kind judged by its first bytes as the server judges it; undefined: not JPG/PNG/WebP. */
  kind: ImageKind | undefined;
  /** Its upright size once the browser decoded it; undefined: this browser could not decode it. */
  size: { width: number; height: number } | undefined;
}

/**
 * Keep, scale or refuse. A picture that fits (JPG/PNG/WebP, within the byte limit, longer side at
 * most SCALE_ABOVE_PX) is kept byte for byte; one the browser cannot decode is kept when the
 * server might still take it (its bytes and kind fit; the server judges) and otherwise refused
 * with the server's own code, before any upload. Everything else the browser decoded is scaled
 * (and so converted, for HEIC/AVIF and other formats the server does not take).
 */
export function decidePicture(facts: PictureFacts): PictureDecision {
  const decoded = facts.size !== undefined;
  if (facts.kind === undefined) {
    return decoded ? { action: 'scale', reason: 'format' } : { action: 'refuse', code: 'unsupported_image' };
  }
  if (facts.bytes > facts.maxBytes) {
    return decoded ? { action: 'scale', reason: 'bytes' } : { action: 'refuse', code: 'file_too_large' };
  }
  if (facts.size && Math.max(facts.size.width, facts.size.height) > SCALE_ABOVE_PX) {
    return { action: 'scale', reason: 'pixels' };
  }
  return { action: 'keep' };
}

/**
 * The size of a width x height picture with its longer side at most `longSide` (never enlarged),
 * unless that would take its shorter side under MIN_SIDE_PX: a very wide or tall picture keeps
 * MIN_SIDE_PX on its shorter side (and a longer long side) rather than becoming one the server
 * refuses.
 */
export function targetSize(
  width: number,
  height: number,
  longSide: number,
): { width: number; height: number } {
  const shorter = Math.min(width, height);
  const floor = shorter >= MIN_SIDE_PX ? MIN_SIDE_PX / shorter : 0;
  const scale = Math.min(1, Math.max(longSide / Math.max(width, height), floor));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

const OPAQUE_ATTEMPTS: readonly EncodeAttempt[] = [
  { longSide: TARGET_LONG_SIDE_PX, type: 'image/jpeg', quality: 0.92 },
  { longSide: TARGET_LONG_SIDE_PX, type: 'image/jpeg', quality: 0.85 },
  { longSide: 2048, type: 'image/jpeg', quality: 0.85 },
  { longSide: 2048, type: 'image/jpeg', quality: 0.75 },
  { longSide: 1024, type: 'image/jpeg', quality: 0.75 },
];

// PNG keeps the transparency losslessly; WebP (lossy, with alpha) where PNG does not fit. A
// browser that cannot encode WebP answers PNG, which is then only kept if it fits.
const TRANSPARENT_ATTEMPTS: readonly EncodeAttempt[] = [
  { longSide: TARGET_LONG_SIDE_PX, type: 'image/png', quality: 1 },
  { longSide: 2048, type: 'image/png', quality: 1 },
  { longSide: 2048, type: 'image/webp', quality: 0.92 },
  { longSide: 1024, type: 'image/png', quality: 1 },
  { longSide: 1024, type: 'image/webp', quality: 0.85 },
];

/**
 * The encodings tried in turn until one is under the limit, best first: JPEG at high quality for
 * an opaque picture, PNG (then WebP) for one with transparency; smaller sizes only when the
 * larger do not fit. A try that would give the same result as an earlier one (the picture is
 * smaller than both sizes) is left out.
 */
export function encodeAttempts(width: number, height: number, transparent: boolean): EncodeAttempt[] {
  const seen = new Set<string>();
  const attempts: EncodeAttempt[] = [];
  for (const attempt of transparent ? TRANSPARENT_ATTEMPTS : OPAQUE_ATTEMPTS) {
    const size = targetSize(width, height, attempt.longSide);
    const key = `${size.width}x${size.height} ${attempt.type} ${attempt.type === 'image/png' ? 1 : attempt.quality}`;
    if (seen.has(key)) continue;
    seen.add(key);
    attempts.push(attempt);
  }
  return attempts;
}
