import sharp from 'sharp';
import { ApiError } from '../../common/api-error';

/** Formats accepted, judged by decoding the bytes (never by the name or Content-Type). */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp'] as const;
/** Images over this many pixels are refused before decoding (decompression bombs). */
export const MAX_INPUT_PIXELS = 8192 * 8192;
/** Longest side sent to the engine. */
export const MAX_SIDE_PX = 2048;
/** Shortest side accepted (docs/design.md: 422 "Image too small, min 64x64"). */
export const MIN_SIDE_PX = 64;
/**
 * A channel whose standard deviation (0-255 levels) is under this is one flat value. JPEG or
 * WebP noise on a one-colour picture stays far below it; any photo or drawing is far above.
 */
const FLAT_CHANNEL_STDEV = 1;

/** What an upload's header says: read without decoding the pixels. */
export interface ImageHeader {
  format: (typeof ACCEPTED_FORMATS)[number];
  width: number;
  height: number;
}

export interface NormalisedImage {
  png: Buffer;
  format: ImageHeader['format'];
  inputWidth: number;
  inputHeight: number;
  width: number;
  height: number;
}

const DECODE_OPTIONS: sharp.SharpOptions = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', pages: 1 };

const unsupported = (): ApiError => new ApiError('unsupported_image');

/**
 * Reads the upload's header only (cheap, no pixel decoding), so it can run before a queue slot
 * is taken. Throws ApiError 400 "Unsupported image format" for anything that is not a JPEG, PNG
 * or WebP header, or claims more than MAX_INPUT_PIXELS (a decompression bomb); 422 "Image too
 * small, min 64x64" for a picture under MIN_SIDE_PX on a side.
 */
export async function inspectImage(bytes: Buffer): Promise<ImageHeader> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, DECODE_OPTIONS).metadata();
  } catch {
    throw unsupported();
  }
  const format = ACCEPTED_FORMATS.find((f) => f === metadata.format);
  if (format === undefined || !metadata.width || !metadata.height) throw unsupported();
  if (metadata.width * metadata.height > MAX_INPUT_PIXELS) throw unsupported();
  if (metadata.width < MIN_SIDE_PX || metadata.height < MIN_SIDE_PX) {
    throw new ApiError('image_too_small');
  }
  return { format, width: metadata.width, height: metadata.height };
}

/** Longest side of the thumbnail refuseBlank judges (cheap: JPEG and WebP shrink while decoding). */
export const BLANK_CHECK_SIDE_PX = 256;

/**
 * Refuses a blank upload (fully transparent, or one flat colour) before a queue slot is taken,
 * from a thumbnail of at most BLANK_CHECK_SIDE_PX a side, so a blank picture sent while the
 * queue is full gets its own 422, not 503. A thumbnail keeps the share of a picture an object
 * covers, so its spread is the full picture's for any object the engine could model (16 px or
 * more at 2048 px, at least 2 px here); normaliseImage checks the full picture again.
 * Throws ApiError 422 "No object found in the image"; 400 "Unsupported image format" when the
 * pixels do not decode (truncated, corrupt).
 */
export async function refuseBlank(bytes: Buffer): Promise<void> {
  let thumbnail: { data: Buffer; info: sharp.OutputInfo };
  let stats: sharp.Stats;
  try {
    thumbnail = await sharp(bytes, DECODE_OPTIONS)
      .resize({
        width: BLANK_CHECK_SIDE_PX,
        height: BLANK_CHECK_SIDE_PX,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .png({ compressionLevel: 0 })
      .toBuffer({ resolveWithObject: true });
    stats = await sharp(thumbnail.data).stats();
  } catch {
    throw unsupported();
  }
  if (isBlank(stats, thumbnail.info.channels)) throw new ApiError('no_object');
}

/**
 * Decodes an upload whose header inspectImage passed and turns it into the PNG the engine gets:
 * first frame of an animation, EXIF orientation applied, at most 2048 px a side, alpha kept.
 * Throws ApiError 400 "Unsupported image format" when the pixels do not decode (truncated,
 * corrupt), 422 "No object found in the image" for a blank picture: fully transparent, or one
 * flat colour (every channel flat), which the engine could only refuse after a queue wait.
 */
export async function normaliseImage(bytes: Buffer, header: ImageHeader): Promise<NormalisedImage> {
  let png: { data: Buffer; info: sharp.OutputInfo };
  let stats: sharp.Stats;
  try {
    png = await sharp(bytes, DECODE_OPTIONS)
      .rotate()
      .resize({ width: MAX_SIDE_PX, height: MAX_SIDE_PX, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    stats = await sharp(png.data).stats();
  } catch {
    throw unsupported();
  }
  if (isBlank(stats, png.info.channels)) throw new ApiError('no_object');
  return {
    png: png.data,
    format: header.format,
    inputWidth: header.width,
    inputHeight: header.height,
    width: png.info.width,
    height: png.info.height,
  };
}

/** Fully transparent (alpha is the last of 2 or 4 channels, all 0), or every channel flat. */
function isBlank(stats: sharp.Stats, channels: number): boolean {
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = hasAlpha ? stats.channels[channels - 1] : undefined;
  if (alpha !== undefined && alpha.max === 0) return true;
  return stats.channels.every((channel) => channel.stdev < FLAT_CHANNEL_STDEV);
}
