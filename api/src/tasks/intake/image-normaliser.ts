import sharp from 'sharp';
import { ApiError, ErrorMessage } from '../../common/api-error';

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
  /** Stored size in pixels, before EXIF orientation. */
  width: number;
  height: number;
}

/**
 * An upload decoded once (decodeImage): its header and its pixels as the engine will get them,
 * EXIF orientation applied and scaled to at most MAX_SIDE_PX a side. Everything after the decode
 * (the blankness judgement, the PNG for the engine) is made from these pixels, never from the
 * upload's bytes again.
 */
export interface DecodedImage {
  header: ImageHeader;
  /**
   * Raw pixels, row-major, `channels` 8-bit samples per pixel: 1 grey, 2 grey + alpha, 3 sRGB,
   * 4 sRGB + alpha (at most 2048 × 2048 × 4 bytes, 16 MiB).
   */
  pixels: Buffer;
  /** Size in pixels after orientation and scaling. */
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** The PNG the engine gets, and the sizes the request log names. */
export interface NormalisedImage {
  png: Buffer;
  format: ImageHeader['format'];
  /** The upload's stored size in pixels. */
  inputWidth: number;
  inputHeight: number;
  /** The PNG's size in pixels (oriented, at most MAX_SIDE_PX a side). */
  width: number;
  height: number;
}

/**
 * Makes a sharp pipeline: `sharp` itself in the product; a test passes a wrapper to count the
 * pipelines built over the upload's bytes (decodes) and over decoded pixels.
 */
export type SharpFactory = (input: Buffer, options: sharp.SharpOptions) => sharp.Sharp;

const productSharp: SharpFactory = (input, options) => sharp(input, options);

const DECODE_OPTIONS: sharp.SharpOptions = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', pages: 1 };

const unsupported = (): ApiError => new ApiError(400, ErrorMessage.unsupportedImage);
const tooManyPixels = (): ApiError => new ApiError('image_too_large');

/**
 * Reads the upload's header only (sharp's metadata: no pixel decoding). Throws ApiError 400
 * "Unsupported image format" for anything that is not a JPEG, PNG or WebP header; 422
 * `image_too_large` for one that claims more than MAX_INPUT_PIXELS (a photo too large, or a
 * decompression bomb: sharp's own "pixel limit" refusal, or the header's size); 422 "Image too
 * small, min 64x64" for a picture under MIN_SIDE_PX on a side.
 */
export async function inspectImage(
  bytes: Buffer,
  createSharp: SharpFactory = productSharp,
): Promise<ImageHeader> {
  let metadata: sharp.Metadata;
  try {
    metadata = await createSharp(bytes, DECODE_OPTIONS).metadata();
  } catch (error) {
    // sharp refuses a header over limitInputPixels with "Input image exceeds pixel limit".
    if (error instanceof Error && /pixel limit/i.test(error.message)) throw tooManyPixels();
    throw unsupported();
  }
  const format = ACCEPTED_FORMATS.find((f) => f === metadata.format);
  if (format === undefined || !metadata.width || !metadata.height) throw unsupported();
  if (metadata.width * metadata.height > MAX_INPUT_PIXELS) throw tooManyPixels();
  if (metadata.width < MIN_SIDE_PX || metadata.height < MIN_SIDE_PX) {
    throw new ApiError(422, ErrorMessage.imageTooSmall);
  }
  return { format, width: metadata.width, height: metadata.height };
}

/**
 * Decodes an upload whose header inspectImage passed, once: first frame of an animation, EXIF
 * orientation applied, at most MAX_SIDE_PX a side, alpha kept, into raw 8-bit pixels; then judges
 * them. Throws ApiError 400 "Unsupported image format" when the pixels do not decode (truncated,
 * corrupt); 422 "No object found in the image" for a blank picture: fully transparent, or one
 * flat colour (every channel flat), which the engine could only refuse after a queue wait.
 * The blankness judgement reads the decoded pixels (sharp's stats over them: no second decode).
 */
export async function decodeImage(
  bytes: Buffer,
  header: ImageHeader,
  createSharp: SharpFactory = productSharp,
): Promise<DecodedImage> {
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await createSharp(bytes, DECODE_OPTIONS)
      .rotate()
      .resize({ width: MAX_SIDE_PX, height: MAX_SIDE_PX, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch {
    throw unsupported();
  }
  const { width, height, channels } = decoded.info;
  const image: DecodedImage = { header, pixels: decoded.data, width, height, channels };
  const stats = await pixelsOf(image, createSharp).stats();
  if (isBlank(stats, channels)) throw new ApiError(422, ErrorMessage.noObject);
  return image;
}

/**
 * The PNG the engine gets, encoded from the decoded pixels (no decoding of the upload). The PNG
 * carries the pixels alone (no density or other metadata of the upload), so two uploads of the
 * same pixels make the same PNG (the instant-repeat key, RepeatRegistry.keyOf).
 */
export async function encodePng(
  image: DecodedImage,
  createSharp: SharpFactory = productSharp,
): Promise<NormalisedImage> {
  const png = await pixelsOf(image, createSharp).png().toBuffer();
  return {
    png,
    format: image.header.format,
    inputWidth: image.header.width,
    inputHeight: image.header.height,
    width: image.width,
    height: image.height,
  };
}

/**
 * decodeImage then encodePng: an upload whose header inspectImage passed, as the engine's PNG
 * (the same refusals as decodeImage). For callers that need no step between the two.
 */
export async function normaliseImage(
  bytes: Buffer,
  header: ImageHeader,
  createSharp: SharpFactory = productSharp,
): Promise<NormalisedImage> {
  return encodePng(await decodeImage(bytes, header, createSharp), createSharp);
}

/** A pipeline over already decoded pixels (raw input: nothing is decoded). */
function pixelsOf(image: DecodedImage, createSharp: SharpFactory): sharp.Sharp {
  return createSharp(image.pixels, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  });
}

/** Fully transparent (alpha is the last of 2 or 4 channels, all 0), or every channel flat. */
function isBlank(stats: sharp.Stats, channels: number): boolean {
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = hasAlpha ? stats.channels[channels - 1] : undefined;
  if (alpha !== undefined && alpha.max === 0) return true;
  return stats.channels.every((channel) => channel.stdev < FLAT_CHANNEL_STDEV);
}
