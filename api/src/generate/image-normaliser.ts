import sharp from 'sharp';
import { ApiError, ErrorMessage } from '../common/api-error';

/** Formats accepted, judged by decoding the bytes (never by the name or Content-Type). */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp'] as const;
/** Images over this many pixels are refused before decoding (decompression bombs). */
export const MAX_INPUT_PIXELS = 8192 * 8192;
/** Longest side sent to the engine. */
export const MAX_SIDE_PX = 2048;

export interface NormalisedImage {
  png: Buffer;
  format: (typeof ACCEPTED_FORMATS)[number];
  inputWidth: number;
  inputHeight: number;
  width: number;
  height: number;
}

/**
 * Decodes an upload and turns it into the PNG the engine gets: JPEG/PNG/WebP only, first frame
 * of an animation, EXIF orientation applied, at most 2048 px a side, alpha kept. Anything that
 * does not decode as one of those (or is a decompression bomb) is 400 "Unsupported image format".
 */
export async function normaliseImage(bytes: Buffer): Promise<NormalisedImage> {
  const unsupported = (): ApiError => new ApiError(400, ErrorMessage.unsupportedImage);
  const options: sharp.SharpOptions = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', pages: 1 };
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, options).metadata();
  } catch {
    throw unsupported();
  }
  const format = ACCEPTED_FORMATS.find((f) => f === metadata.format);
  if (format === undefined || !metadata.width || !metadata.height) throw unsupported();
  if (metadata.width * metadata.height > MAX_INPUT_PIXELS) throw unsupported();
  try {
    const { data, info } = await sharp(bytes, options)
      .rotate()
      .resize({ width: MAX_SIDE_PX, height: MAX_SIDE_PX, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    return {
      png: data,
      format,
      inputWidth: metadata.width,
      inputHeight: metadata.height,
      width: info.width,
      height: info.height,
    };
  } catch {
    throw unsupported();
  }
}
