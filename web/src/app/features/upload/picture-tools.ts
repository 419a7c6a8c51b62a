import { InjectionToken } from '@angular/core';

import type { PictureType } from './picture-plan';

/** A decoded picture, upright (its EXIF orientation applied). */
export interface DecodedPicture {
  readonly width: number;
  readonly height: number;
  /** Frees its pixels. */
  close(): void;
}

/** A picture drawn at the size it is to be sent at. */
export interface DrawnPicture {
  /** Whether any pixel is not fully opaque (decides PNG/WebP over JPEG). */
  hasTransparency(): boolean;
  /** The pixels encoded; the blob's type says what the browser actually made. */
  encode(type: PictureType, quality: number): Promise<Blob>;
}

/** The browser's image decoding and encoding, injected so the logic is tested without a browser. */
export interface PictureTools {
  /** The picture decoded, or undefined where this browser cannot decode it (or has no decoder). */
  decode(file: Blob): Promise<DecodedPicture | undefined>;
  /** The picture drawn at width x height, smoothed at the highest quality. */
  draw(picture: DecodedPicture, width: number, height: number): DrawnPicture;
}

type Canvas2d = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

function makeCanvas(width: number, height: number): { context: Canvas2d; encode: DrawnPicture['encode'] } {
  if (typeof OffscreenCanvas === 'function') {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2d context');
    return { context, encode: (type, quality) => canvas.convertToBlob({ type, quality }) };
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('no 2d context');
  return {
    context,
    encode: (type, quality) =>
      new Promise((resolve, reject) =>
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('encode failed'))), type, quality),
      ),
  };
}

/**
 * The browser's own tools: createImageBitmap with `imageOrientation: 'from-image'` (the EXIF
 * orientation applied, so the picture is sent upright and without EXIF), drawn on an
 * OffscreenCanvas (a canvas where there is none). Colour: the decode converts the picture's
 * colour profile to the canvas's sRGB, and the encoded file is sRGB (a Display P3 photo's widest
 * colours are clipped to sRGB, which is what the engine works in anyway). Metadata (EXIF, GPS
 * position) is not carried over.
 */
export const BROWSER_PICTURE_TOOLS: PictureTools = {
  async decode(file) {
    if (typeof createImageBitmap !== 'function') return undefined;
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      return undefined;
    }
  },
  draw(picture, width, height) {
    const { context, encode } = makeCanvas(width, height);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    // A DecodedPicture is structurally an ImageBitmap (what decode made).
    context.drawImage(picture, 0, 0, width, height);
    return {
      hasTransparency() {
        const pixels = context.getImageData(0, 0, width, height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 255) return true;
        return false;
      },
      encode,
    };
  },
};

/** The picture tools the upload panel uses: the browser's, unless a test provides others. */
export const PICTURE_TOOLS = new InjectionToken<PictureTools>('PictureTools', {
  providedIn: 'root',
  factory: () => BROWSER_PICTURE_TOOLS,
});
