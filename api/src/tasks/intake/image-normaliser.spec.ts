import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../../common/api-error';
import { noisy } from '../../../test/reliability/images';
import { SAMPLES_DIR } from '../../../test/support/env';
import {
  type NormalisedImage,
  type SharpFactory,
  decodeImage,
  encodePng,
  inspectImage,
  normaliseImage,
} from './image-normaliser';

const unsupported = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 400 && error.message === 'Unsupported image format';

const tooManyPixels = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 422 && error.code === 'image_too_large';

const refused422 =
  (message: string) =>
  (error: unknown): boolean =>
    error instanceof ApiError && error.status === 422 && error.message === message;

/** The upload path's two steps: the header before a queue slot, the pixels after. */
async function normalise(bytes: Buffer): Promise<NormalisedImage> {
  return normaliseImage(bytes, await inspectImage(bytes));
}

/** One sharp pipeline the code under test built: over what input, and which outputs it read. */
interface Pipeline {
  /** `upload`: the encoded bytes (reading pixels from it is a decode); `pixels`: raw, decoded. */
  input: 'upload' | 'pixels';
  calls: ('metadata' | 'stats' | 'toBuffer')[];
}

/** A SharpFactory that records every pipeline built through it (the seam the functions take). */
function countingSharp(): { createSharp: SharpFactory; pipelines: Pipeline[] } {
  const pipelines: Pipeline[] = [];
  const createSharp: SharpFactory = (input, options) => {
    const pipeline: Pipeline = { input: options.raw === undefined ? 'upload' : 'pixels', calls: [] };
    pipelines.push(pipeline);
    const instance = sharp(input, options);
    // Each output the code reads is recorded, then answered by sharp itself (promise forms only).
    const metadata = instance.metadata.bind(instance) as () => Promise<sharp.Metadata>;
    const stats = instance.stats.bind(instance) as () => Promise<sharp.Stats>;
    const toBuffer = instance.toBuffer.bind(instance) as (options?: {
      resolveWithObject: true;
    }) => Promise<unknown>;
    instance.metadata = (() => {
      pipeline.calls.push('metadata');
      return metadata();
    }) as typeof instance.metadata;
    instance.stats = (() => {
      pipeline.calls.push('stats');
      return stats();
    }) as typeof instance.stats;
    instance.toBuffer = ((options?: { resolveWithObject: true }) => {
      pipeline.calls.push('toBuffer');
      return toBuffer(options);
    }) as typeof instance.toBuffer;
    return instance;
  };
  return { createSharp, pipelines };
}

/** Pipelines that read pixels out of the upload's encoded bytes: its decodes. */
const decodes = (pipelines: Pipeline[]): Pipeline[] =>
  pipelines.filter((p) => p.input === 'upload' && p.calls.some((call) => call !== 'metadata'));

/** One flat colour: nothing to model. */
function solid(width: number, height: number, alpha = 1) {
  return sharp({
    create: { width, height, channels: 4, background: { r: 200, g: 10, b: 10, alpha } },
  });
}

void describe('normaliseImage', () => {
  void it('accepts PNG, JPEG and WebP by content and outputs PNG', async () => {
    for (const input of [
      await noisy(128, 64).png().toBuffer(),
      await noisy(128, 64).jpeg().toBuffer(),
      await noisy(128, 64).webp().toBuffer(),
    ]) {
      const image = await normalise(input);
      const meta = await sharp(image.png).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, 128);
      assert.equal(meta.height, 64);
    }
  });

  void it('keeps alpha', async () => {
    const image = await normalise(await noisy(64, 64, true).png().toBuffer());
    assert.equal((await sharp(image.png).metadata()).hasAlpha, true);
  });

  void it('refuses text, GIF, TIFF, truncated data and empty input', async () => {
    const png = await noisy(64, 64).png().toBuffer();
    for (const input of [
      Buffer.from('this is not a picture, whatever the file name says'),
      await noisy(64, 64).gif().toBuffer(),
      await noisy(64, 64).tiff().toBuffer(),
      png.subarray(0, 60),
      Buffer.alloc(0),
    ]) {
      await assert.rejects(normalise(input), unsupported);
    }
  });

  void it('applies EXIF orientation', async () => {
    // 160x80 stored, orientation 6 = rotate 90° clockwise to display: 80x160.
    const input = await noisy(160, 80).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await normalise(input);
    assert.equal(image.width, 80);
    assert.equal(image.height, 160);
  });

  void it('scales images over 2048 px on a side to fit inside 2048', async () => {
    const image = await normalise(await noisy(4096, 1024).png({ compressionLevel: 1 }).toBuffer());
    assert.equal(image.width, 2048);
    assert.equal(image.height, 512);
  });

  void it('refuses a decompression bomb before decoding it', async () => {
    // A PNG header declaring 100000 x 100000 pixels (10 gigapixels), followed by nothing useful.
    const png = await noisy(64, 64).png().toBuffer();
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    // Valid IHDR checksum, so only the pixel limit can refuse it.
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    await assert.rejects(sharp(bomb).metadata(), /pixel limit/);
    await assert.rejects(normalise(bomb), tooManyPixels);
  });

  void it('a real photo just over 67.1 megapixels is 422 image_too_large, not "Unsupported image format"; 8192 x 8192 passes the header check', async () => {
    const photo = async (width: number, height: number): Promise<Buffer> =>
      sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
        .jpeg({ quality: 50 })
        .toBuffer();
    await assert.rejects(inspectImage(await photo(8200, 8200)), tooManyPixels);
    await assert.rejects(inspectImage(await photo(9000, 7500)), tooManyPixels);
    assert.deepEqual(await inspectImage(await photo(8192, 8192)), {
      format: 'jpeg',
      width: 8192,
      height: 8192,
    });
  });

  void it('refuses a picture under 64 px on a side from its header: 422 Image too small', async () => {
    for (const [width, height] of [
      [63, 200],
      [200, 63],
      [1, 1],
    ]) {
      const input = await noisy(width, height).png().toBuffer();
      await assert.rejects(inspectImage(input), refused422('Image too small, min 64x64'));
    }
    assert.deepEqual(await inspectImage(await noisy(64, 64).jpeg().toBuffer()), {
      format: 'jpeg',
      width: 64,
      height: 64,
    });
  });

  void it('refuses a blank picture (one colour, fully transparent): 422 No object found', async () => {
    for (const input of [
      await solid(256, 256).png().toBuffer(),
      await solid(256, 256).jpeg().toBuffer(),
      await solid(256, 256).webp().toBuffer(),
      await solid(256, 256, 0).png().toBuffer(),
      // Fully transparent, whatever colours hide under the alpha.
      await noisy(256, 256).ensureAlpha(0).png().toBuffer(),
    ]) {
      await assert.rejects(normalise(input), refused422('No object found in the image'));
    }
  });

  void it('accepts every real sample picture', async () => {
    const names = readdirSync(SAMPLES_DIR).filter((name) => /\.(png|jpe?g|webp)$/i.test(name));
    assert.ok(names.length >= 3);
    for (const name of names) {
      const image = await normalise(readFileSync(join(SAMPLES_DIR, name)));
      assert.ok(image.width >= 64 && image.height >= 64, name);
    }
  });

  void it('decodes the upload once: the header from metadata, then one decode both the blankness judgement and the PNG are made from', async () => {
    const { createSharp, pipelines } = countingSharp();
    const upload = await noisy(300, 200, true).webp().toBuffer();
    const header = await inspectImage(upload, createSharp);
    assert.deepEqual(pipelines, [{ input: 'upload', calls: ['metadata'] }], 'the header decodes no pixels');
    const decoded = await decodeImage(upload, header, createSharp);
    assert.deepEqual(
      {
        width: decoded.width,
        height: decoded.height,
        channels: decoded.channels,
        bytes: decoded.pixels.length,
      },
      { width: 300, height: 200, channels: 4, bytes: 300 * 200 * 4 },
    );
    const image = await encodePng(decoded, createSharp);
    assert.equal(decodes(pipelines).length, 1, JSON.stringify(pipelines));
    assert.deepEqual(pipelines, [
      { input: 'upload', calls: ['metadata'] },
      { input: 'upload', calls: ['toBuffer'] },
      { input: 'pixels', calls: ['stats'] },
      { input: 'pixels', calls: ['toBuffer'] },
    ]);
    // The PNG holds the decoded pixels themselves.
    const back = await sharp(image.png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(back.info.channels, 4);
    assert.ok(back.data.equals(decoded.pixels));
  });

  void it('normaliseImage decodes once too; a blank or undecodable picture is refused by that one decode, with no PNG made', async () => {
    const cases: [Buffer, (error: unknown) => boolean, number][] = [
      [await noisy(256, 256).jpeg().toBuffer(), () => true, 2],
      [await solid(256, 256).png().toBuffer(), refused422('No object found in the image'), 1],
      [(await noisy(256, 256).png().toBuffer()).subarray(0, 2000), unsupported, 0],
    ];
    for (const [upload, refused, pixelPipelines] of cases) {
      const header = await inspectImage(upload);
      const { createSharp, pipelines } = countingSharp();
      if (pixelPipelines === 2) await normaliseImage(upload, header, createSharp);
      else await assert.rejects(normaliseImage(upload, header, createSharp), refused);
      assert.equal(decodes(pipelines).length, 1, JSON.stringify(pipelines));
      assert.equal(
        pipelines.filter((p) => p.input === 'pixels').length,
        pixelPipelines,
        JSON.stringify(pipelines),
      );
    }
  });

  void it('orients and scales in that one decode (EXIF 6, 4096 px: 1024 x 2048 pixels)', async () => {
    const upload = await noisy(4096, 2048).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { createSharp, pipelines } = countingSharp();
    const decoded = await decodeImage(upload, await inspectImage(upload), createSharp);
    assert.deepEqual([decoded.width, decoded.height, decoded.channels], [1024, 2048, 3]);
    assert.deepEqual(decoded.header, { format: 'jpeg', width: 4096, height: 2048 });
    assert.equal(decodes(pipelines).length, 1);
  });
});
