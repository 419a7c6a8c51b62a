import { SCALE_ABOVE_PX, decidePicture, encodeAttempts, targetSize } from './picture-plan';

const MB = 1024 * 1024;
const LIMIT = 10 * MB;

describe('decidePicture', () => {
  it('keeps a picture that fits: kind, bytes and size', () => {
    expect(
      decidePicture({ bytes: 3 * MB, maxBytes: LIMIT, kind: 'jpeg', size: { width: 4032, height: 3024 } }),
    ).toEqual({ action: 'keep' });
    expect(
      decidePicture({ bytes: LIMIT, maxBytes: LIMIT, kind: 'png', size: { width: 4096, height: 10 } }),
    ).toEqual({ action: 'keep' });
  });

  it('scales a picture over the byte limit, or far over the engine size', () => {
    expect(
      decidePicture({ bytes: LIMIT + 1, maxBytes: LIMIT, kind: 'jpeg', size: { width: 2000, height: 2000 } }),
    ).toEqual({ action: 'scale', reason: 'bytes' });
    expect(
      decidePicture({
        bytes: MB,
        maxBytes: LIMIT,
        kind: 'png',
        size: { width: 1000, height: SCALE_ABOVE_PX + 1 },
      }),
    ).toEqual({ action: 'scale', reason: 'pixels' });
  });

  it('converts a format the server does not take when the browser decodes it (HEIC, AVIF)', () => {
    expect(
      decidePicture({ bytes: 2 * MB, maxBytes: LIMIT, kind: undefined, size: { width: 4032, height: 3024 } }),
    ).toEqual({ action: 'scale', reason: 'format' });
  });

  it("refuses what the browser cannot decode unless the server might take it, with the server's code", () => {
    expect(decidePicture({ bytes: MB, maxBytes: LIMIT, kind: undefined, size: undefined })).toEqual({
      action: 'refuse',
      code: 'unsupported_image',
    });
    expect(decidePicture({ bytes: LIMIT + 1, maxBytes: LIMIT, kind: 'jpeg', size: undefined })).toEqual({
      action: 'refuse',
      code: 'file_too_large',
    });
    // Not decodable here but JPG/PNG/WebP within the limit: the server judges it.
    expect(decidePicture({ bytes: MB, maxBytes: LIMIT, kind: 'png', size: undefined })).toEqual({
      action: 'keep',
    });
  });
});

describe('targetSize', () => {
  it('fits the longer side, keeps the aspect, never enlarges', () => {
    expect(targetSize(6000, 4000, 3072)).toEqual({ width: 3072, height: 2048 });
    expect(targetSize(4000, 6000, 3072)).toEqual({ width: 2048, height: 3072 });
    expect(targetSize(2000, 1500, 3072)).toEqual({ width: 2000, height: 1500 });
    expect(targetSize(100_000, 10, 2048)).toEqual({ width: 2048, height: 1 });
  });

  it("never takes the shorter side under the server's 64 px: a panorama keeps 64 px and a longer side", () => {
    expect(targetSize(20_000, 300, 3072)).toEqual({ width: 4267, height: 64 });
    expect(targetSize(120, 9000, 3072)).toEqual({ width: 64, height: 4800 });
    expect(targetSize(9000, 64, 3072)).toEqual({ width: 9000, height: 64 });
    // Well within: the longer side decides as before.
    expect(targetSize(6000, 500, 3072)).toEqual({ width: 3072, height: 256 });
  });
});

describe('encodeAttempts', () => {
  it('an opaque picture: JPEG at high quality first, at 3072 px, then smaller and lower', () => {
    const attempts = encodeAttempts(6000, 4000, false);
    expect(attempts[0]).toEqual({ longSide: 3072, type: 'image/jpeg', quality: 0.92 });
    expect(attempts.every((a) => a.type === 'image/jpeg')).toBe(true);
    const sides = attempts.map((a) => a.longSide);
    expect([...sides].sort((a, b) => b - a)).toEqual(sides);
    expect(Math.min(...sides)).toBeGreaterThanOrEqual(1024);
  });

  it('a transparent picture: PNG first, WebP (with alpha) when PNG is too heavy, never JPEG', () => {
    const attempts = encodeAttempts(6000, 4000, true);
    expect(attempts[0]).toEqual({ longSide: 3072, type: 'image/png', quality: 1 });
    expect(attempts.some((a) => a.type === 'image/webp')).toBe(true);
    expect(attempts.some((a) => a.type === 'image/jpeg')).toBe(false);
  });

  it('leaves out tries that would repeat an earlier one on a smaller picture', () => {
    // 2000 px: the 3072 and 2048 tries give the same size; only the qualities differ.
    const attempts = encodeAttempts(2000, 1000, false);
    expect(attempts.map((a) => `${Math.min(a.longSide, 2000)} ${a.quality}`)).toEqual([
      '2000 0.92',
      '2000 0.85',
      '2000 0.75',
      '1024 0.75',
    ]);
  });
});
