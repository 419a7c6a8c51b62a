import { decodesAvif, pictureAccept } from './picture-accept';
import type { PictureTools } from './picture-tools';

const toolsDecoding = (decoded: { width: number; height: number } | undefined | 'throws'): PictureTools => ({
  decode: (file: Blob) => {
    expect(file.type).toBe('image/avif');
    if (decoded === 'throws') return Promise.reject(new Error('no decoder'));
    if (decoded === undefined) return Promise.resolve(undefined);
    // As an ImageBitmap: 0 x 0 once closed.
    const bitmap = {
      ...decoded,
      close: () => Object.assign(bitmap, { width: 0, height: 0 }),
    };
    return Promise.resolve(bitmap);
  },
  draw: () => {
    throw new Error('not drawn');
  },
});

describe('pictureAccept', () => {
  it('offers AVIF (by type and extension) only where the browser decodes it, HEIC never', () => {
    expect(pictureAccept(false)).toBe('image/jpeg,image/png,image/webp');
    expect(pictureAccept(true)).toBe('image/jpeg,image/png,image/webp,image/avif,.avif');
    // iOS converts HEIC to JPEG on pick only while accept leaves HEIC out.
    expect(pictureAccept(true)).not.toMatch(/heic|heif/i);
  });
});

describe('decodesAvif', () => {
  it("asks the page's own decoder about a 1x1 AVIF", async () => {
    expect(await decodesAvif(toolsDecoding({ width: 1, height: 1 }))).toBe(true);
    expect(await decodesAvif(toolsDecoding(undefined))).toBe(false);
    expect(await decodesAvif(toolsDecoding('throws'))).toBe(false);
  });
});
