import { preparePicture, renamed } from './picture-preparer';
import type { DecodedPicture, DrawnPicture, PictureTools } from './picture-tools';

const MB = 1024 * 1024;
const LIMIT = 10 * MB;
const JPEG_HEAD = [0xff, 0xd8, 0xff, 0xe0];
const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const WEBP_HEAD = [...'RIFF\0\0\0\0WEBP'].map((c) => c.charCodeAt(0));
const HEADS = { 'image/jpeg': JPEG_HEAD, 'image/png': PNG_HEAD, 'image/webp': WEBP_HEAD };

function bytes(head: number[], size: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(Math.max(size, head.length));
  body.set(head);
  return body;
}

/** A browser stand-in: decodes to `size` (or not at all) and encodes to `encodedBytes(w, h, type, q)` bytes. */
function fakeTools(
  size: { width: number; height: number } | undefined,
  encodedBytes: (width: number, height: number, type: string, quality: number) => number,
  transparent = false,
) {
  const log: string[] = [];
  let closed = 0;
  const tools: PictureTools = {
    decode: vi.fn(() =>
      Promise.resolve(size ? ({ ...size, close: () => (closed += 1) } satisfies DecodedPicture) : undefined),
    ),
    draw: vi.fn((_picture: DecodedPicture, width: number, height: number): DrawnPicture => {
      log.push(`draw ${width}x${height}`);
      return {
        hasTransparency: () => transparent,
        encode: (type, quality) => {
          log.push(`encode ${type} ${quality}`);
          return Promise.resolve(
            new Blob([bytes(HEADS[type], encodedBytes(width, height, type, quality))], { type }),
          );
        },
      };
    }),
  };
  return { tools, log, closed: () => closed };
}

describe('preparePicture', () => {
  it('keeps a picture that fits, byte for byte, and draws nothing', async () => {
    const file = new File([bytes(JPEG_HEAD, 3 * MB)], 'photo.jpg', { type: 'image/jpeg' });
    const { tools, log, closed } = fakeTools({ width: 4000, height: 3000 }, () => MB);
    const prepared = await preparePicture(file, LIMIT, tools);
    expect(prepared).toEqual({ ok: true, blob: file, name: 'photo.jpg', kind: 'jpeg' });
    expect(log).toEqual([]);
    expect(closed()).toBe(1);
  });

  it('scales a 14 MB 6000 px photo to 3072 px JPEG at quality 0.92, and says so', async () => {
    const file = new File([bytes(JPEG_HEAD, 14 * MB)], 'IMG_0042.JPG', { type: 'image/jpeg' });
    const { tools, log } = fakeTools({ width: 4000, height: 6000 }, () => 2 * MB);
    const prepared = await preparePicture(file, LIMIT, tools);
    expect(log).toEqual(['draw 2048x3072', 'encode image/jpeg 0.92']);
    expect(prepared).toMatchObject({
      ok: true,
      name: 'IMG_0042.jpg',
      kind: 'jpeg',
      change: {
        reason: 'bytes',
        from: { width: 4000, height: 6000, bytes: 14 * MB },
        to: { width: 2048, height: 3072, bytes: 2 * MB, kind: 'jpeg' },
      },
    });
    // The transparency of a JPEG is known without reading its pixels.
    expect(tools.draw).toHaveBeenCalledTimes(1);
  });

  it('steps down quality, then size, until the picture is under the limit', async () => {
    const file = new File([bytes(PNG_HEAD, 12 * MB)], 'noise.png', { type: 'image/png' });
    const { tools, log } = fakeTools({ width: 6000, height: 4000 }, (w, _h, _t, q) =>
      w > 2048 || q > 0.85 ? 11 * MB : 9 * MB,
    );
    const prepared = await preparePicture(file, LIMIT, tools);
    expect(log).toEqual([
      'draw 3072x2048',
      'encode image/jpeg 0.92',
      'encode image/jpeg 0.85',
      'draw 2048x1365',
      'encode image/jpeg 0.85',
    ]);
    expect(prepared).toMatchObject({ ok: true, name: 'noise.jpg', kind: 'jpeg' });
  });

  it('keeps transparency: PNG, then WebP with alpha when PNG is too heavy', async () => {
    const file = new File([bytes(PNG_HEAD, 12 * MB)], 'cutout.png', { type: 'image/png' });
    const { tools, log } = fakeTools(
      { width: 5000, height: 5000 },
      (_w, _h, type) => (type === 'image/png' ? 11 * MB : 4 * MB),
      true,
    );
    const prepared = await preparePicture(file, LIMIT, tools);
    expect(log).toEqual([
      'draw 3072x3072',
      'encode image/png 1',
      'draw 2048x2048',
      'encode image/png 1',
      'encode image/webp 0.92',
    ]);
    expect(prepared).toMatchObject({ ok: true, name: 'cutout.webp', kind: 'webp' });
  });

  it('converts a HEIC photo the browser decodes, even when it fits', async () => {
    const heic = bytes([0, 0, 0, 0x18, ...[...'ftypheic'].map((c) => c.charCodeAt(0))], 2 * MB);
    const file = new File([heic], 'IMG_1.HEIC', { type: 'image/heic' });
    const { tools } = fakeTools({ width: 4032, height: 3024 }, () => MB);
    const prepared = await preparePicture(file, LIMIT, tools);
    expect(prepared).toMatchObject({
      ok: true,
      name: 'IMG_1.jpg',
      kind: 'jpeg',
      change: { reason: 'format', to: { width: 3072, height: 2304 } },
    });
  });

  it('refuses a picture this browser cannot decode, before any upload', async () => {
    const file = new File([bytes([1, 2, 3], 2 * MB)], 'IMG_2.heic');
    const { tools, log } = fakeTools(undefined, () => MB);
    expect(await preparePicture(file, LIMIT, tools)).toEqual({
      ok: false,
      error: { status: 400, code: 'unsupported_image', error: '' },
    });
    const big = new File([bytes(JPEG_HEAD, 11 * MB)], 'broken.jpg');
    expect(await preparePicture(big, LIMIT, tools)).toEqual({
      ok: false,
      error: { status: 413, code: 'file_too_large', error: '' },
    });
    expect(log).toEqual([]);
  });

  it('a HEIC or AVIF photo this browser cannot read is refused as such (by its container, whatever its name)', async () => {
    const { tools } = fakeTools(undefined, () => MB);
    for (const [brand, format] of [
      ['heic', 'HEIC'],
      ['mif1', 'HEIC'],
      ['avif', 'AVIF'],
    ]) {
      const photo = bytes([0, 0, 0, 0x18, ...[...`ftyp${brand}`].map((c) => c.charCodeAt(0))], 2 * MB);
      expect(await preparePicture(new File([photo], 'photo.jpg'), LIMIT, tools)).toEqual({
        ok: false,
        error: { status: 400, code: 'unsupported_image', error: '' },
        unreadablePhoto: format,
      });
    }
  });

  it('refuses with file_too_large when no encoding fits, and frees the decoded picture', async () => {
    const file = new File([bytes(JPEG_HEAD, 30 * MB)], 'x.jpg');
    const { tools, closed } = fakeTools({ width: 8000, height: 8000 }, () => 11 * MB);
    expect(await preparePicture(file, LIMIT, tools)).toEqual({
      ok: false,
      error: { status: 413, code: 'file_too_large', error: '' },
    });
    expect(closed()).toBe(1);
  });
});

describe('renamed', () => {
  it('gives the name the extension of what is sent', () => {
    expect(renamed(new File([], 'IMG_0042.HEIC'), 'jpeg')).toBe('IMG_0042.jpg');
    expect(renamed(new File([], 'a.b.png'), 'webp')).toBe('a.b.webp');
    expect(renamed(new Blob([]), 'jpeg')).toBe('pasted.jpg');
  });
});
