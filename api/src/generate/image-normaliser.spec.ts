import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { ApiError } from '../common/api-error';
import { normaliseImage } from './image-normaliser';

const unsupported = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 400 && error.message === 'Unsupported image format';

function solid(width: number, height: number, alpha = false) {
  return sharp({
    create: {
      width,
      height,
      channels: alpha ? 4 : 3,
      background: { r: 200, g: 10, b: 10, alpha: alpha ? 0.5 : 1 },
    },
  });
}

void describe('normaliseImage', () => {
  void it('accepts PNG, JPEG and WebP by content and outputs PNG', async () => {
    for (const input of [
      await solid(64, 32).png().toBuffer(),
      await solid(64, 32).jpeg().toBuffer(),
      await solid(64, 32).webp().toBuffer(),
    ]) {
      const image = await normaliseImage(input);
      const meta = await sharp(image.png).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, 64);
      assert.equal(meta.height, 32);
    }
  });

  void it('keeps alpha', async () => {
    const image = await normaliseImage(await solid(16, 16, true).png().toBuffer());
    assert.equal((await sharp(image.png).metadata()).hasAlpha, true);
  });

  void it('refuses text, GIF, TIFF, truncated data and empty input', async () => {
    const png = await solid(64, 64).png().toBuffer();
    for (const input of [
      Buffer.from('this is not a picture, whatever the file name says'),
      await solid(8, 8).gif().toBuffer(),
      await solid(8, 8).tiff().toBuffer(),
      png.subarray(0, 60),
      Buffer.alloc(0),
    ]) {
      await assert.rejects(normaliseImage(input), unsupported);
    }
  });

  void it('applies EXIF orientation', async () => {
    // 40x20 stored, orientation 6 = rotate 90° clockwise to display: 20x40.
    const input = await solid(40, 20).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await normaliseImage(input);
    assert.equal(image.width, 20);
    assert.equal(image.height, 40);
  });

  void it('scales images over 2048 px on a side to fit inside 2048', async () => {
    const image = await normaliseImage(await solid(4096, 1024).png({ compressionLevel: 1 }).toBuffer());
    assert.equal(image.width, 2048);
    assert.equal(image.height, 512);
  });

  void it('refuses a decompression bomb before decoding it', async () => {
    // A PNG header declaring 100000 x 100000 pixels (10 gigapixels), followed by nothing useful.
    const png = await solid(1, 1).png().toBuffer();
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    // Valid IHDR checksum, so only the pixel limit can refuse it.
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    await assert.rejects(sharp(bomb).metadata(), /pixel limit/);
    await assert.rejects(normaliseImage(bomb), unsupported);
  });
});
