import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ERROR_TABLE, ErrorMessage } from '../../src/common/api-error';
import { RedisKeys } from '../../src/redis/redis-keys';
import type { ApiProcess } from '../support/api-process';
import { cancelTask } from '../support/http-client';
import {
  type CategoryRun,
  Recorder,
  type SuiteContext,
  freshRedis,
  generationQueue,
  noUnexpected5xx,
  rssMiB,
  startSuiteApi,
} from './harness';
import {
  BLUE,
  GREEN,
  RED,
  type Rgb,
  YELLOW,
  animated,
  apng,
  discPng,
  lyingPngHeader,
  near,
  oneBitBomb,
  pixelAt,
  pngOfSize,
  quadrants,
  rawToSharp,
  solid,
  storedForOrientation,
} from './images';
import { type Part, type Reply, imagePart, postMultipart } from './multipart';

const MIB = 1024 * 1024;
const TOO_LARGE = 'File too large, max 10MB';
/** Memory the api may hold after the whole catalogue (the 1-bit bomb decodes 67 Mpx). */
const RSS_BOUND_MIB = 1024;

interface UploadCase {
  name: string;
  parts: () => Promise<Part[]>;
  chunked?: boolean;
  status: number;
  error?: string;
  /** The error's code (common/error-table.ts), with `error`. */
  code?: string;
  /** For an accepted upload: checks the normalised PNG the task keeps in Redis. */
  pixels?: (png: Buffer) => Promise<void>;
}

const one =
  (make: () => Promise<Buffer> | Buffer, filename = 'upload.png') =>
  async (): Promise<Part[]> => [imagePart(await make(), filename)];

/** The centre of the stored picture has `colour`; returns nothing, throws otherwise. */
const centreIs =
  (colour: Rgb, tolerance = 40) =>
  async (png: Buffer): Promise<void> => {
    const meta = await sharp(png).metadata();
    const { rgb } = await pixelAt(png, Math.floor(meta.width / 2), Math.floor(meta.height / 2));
    assert.ok(near(rgb, colour, tolerance), `centre ${rgb.join(',')}, expected about ${colour.join(',')}`);
  };

/** Upright and not mirrored: each quadrant of the stored picture has its colour, at the upright size. */
const upright =
  (width: number, height: number) =>
  async (png: Buffer): Promise<void> => {
    const expected: [number, number, Rgb][] = [
      [width / 4, height / 4, RED],
      [(3 * width) / 4, height / 4, GREEN],
      [width / 4, (3 * height) / 4, BLUE],
      [(3 * width) / 4, (3 * height) / 4, YELLOW],
    ];
    for (const [x, y, colour] of expected) {
      const seen = await pixelAt(png, Math.floor(x), Math.floor(y));
      assert.equal(`${seen.width}x${seen.height}`, `${width}x${height}`, 'upright size');
      assert.ok(
        near(seen.rgb, colour, 60),
        `(${x},${y}) is ${seen.rgb.join(',')}, expected ${colour.join(',')}`,
      );
    }
  };

/** A minimal 24-bit BMP (BITMAPINFOHEADER), width x height, one colour. */
function bmp(width: number, height: number): Buffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + row * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, Buffer.alloc(row * height, 0x80)]);
}

function catalogue(): UploadCase[] {
  const unsupported = { status: 400, error: ErrorMessage.unsupportedImage, code: 'unsupported_image' };
  const noObject = { status: 422, error: ErrorMessage.noObject, code: 'no_object' };
  const tooManyPixels = { status: 422, error: ERROR_TABLE.image_too_large.message, code: 'image_too_large' };
  const cases: UploadCase[] = [
    { name: 'a plain PNG (baseline)', parts: one(() => discPng()), status: 202, pixels: centreIs(RED) },
    {
      name: 'a plain JPEG (baseline)',
      parts: one(
        async () =>
          sharp(await discPng())
            .jpeg()
            .toBuffer(),
        'a.jpg',
      ),
      status: 202,
      pixels: centreIs(RED),
    },
    {
      name: 'a plain WebP (baseline)',
      parts: one(
        async () =>
          sharp(await discPng())
            .webp()
            .toBuffer(),
        'a.webp',
      ),
      status: 202,
      pixels: centreIs(RED),
    },
    { name: 'empty file', parts: one(() => Buffer.alloc(0)), ...unsupported },
    {
      name: 'text named .png',
      parts: one(() => Buffer.from('hello, this is not a picture\n'.repeat(40))),
      ...unsupported,
    },
    {
      name: 'truncated PNG',
      parts: one(async () => {
        const png = await sharp(await discPng(512))
          .png({ compressionLevel: 0 })
          .toBuffer();
        return png.subarray(0, Math.floor(png.length * 0.6));
      }),
      ...unsupported,
    },
    {
      name: 'SVG with script',
      parts: one(
        () =>
          Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><script>alert(1)</script>' +
              '<circle cx="128" cy="128" r="90" fill="red"/></svg>',
          ),
        'x.png',
      ),
      ...unsupported,
    },
    {
      name: 'GIF, one frame',
      parts: one(
        async () =>
          sharp(await discPng())
            .gif()
            .toBuffer(),
        'a.gif',
      ),
      ...unsupported,
    },
    { name: 'GIF, animated', parts: one(() => animated('gif'), 'a.gif'), ...unsupported },
    { name: 'BMP', parts: one(() => bmp(128, 128), 'a.bmp'), ...unsupported },
    {
      name: 'TIFF',
      parts: one(
        async () =>
          sharp(await discPng())
            .tiff()
            .toBuffer(),
        'a.tiff',
      ),
      ...unsupported,
    },
    {
      name: 'PNG header claiming 100000x100000 px',
      parts: one(() => lyingPngHeader(100_000, 100_000)),
      ...tooManyPixels,
    },
    {
      name: '1-bit PNG bomb, 20000x20000 px',
      parts: one(() => oneBitBomb(20_000, 20_000, true)),
      ...tooManyPixels,
    },
    {
      name: '1-bit PNG bomb, 8192x8192 px, blank',
      parts: one(() => oneBitBomb(8192, 8192, false)),
      ...noObject,
    },
    {
      name: '1-bit PNG bomb, 8192x8192 px, a white square',
      parts: one(() => oneBitBomb(8192, 8192, true)),
      status: 202,
      pixels: centreIs([255, 255, 255], 10),
    },
    {
      name: 'HTML appended to a PNG',
      parts: one(async () =>
        Buffer.concat([await discPng(), Buffer.from('<html><script>alert(1)</script></html>')]),
      ),
      status: 202,
      pixels: centreIs(RED),
    },
    {
      name: '16-bit PNG',
      parts: one(async () =>
        sharp(await discPng())
          .toColourspace('rgb16')
          .png()
          .toBuffer(),
      ),
      status: 202,
      pixels: centreIs(RED),
    },
    {
      name: 'greyscale PNG',
      parts: one(async () =>
        sharp(await discPng())
          .greyscale()
          .png()
          .toBuffer(),
      ),
      status: 202,
      pixels: async (png) => {
        const { rgb } = await pixelAt(png, 128, 128);
        assert.ok(
          rgb[0] === rgb[1] && rgb[1] === rgb[2] && rgb[0] < 200,
          `centre ${rgb.join(',')} is a mid grey`,
        );
      },
    },
    {
      name: 'grey+alpha PNG',
      parts: one(async () =>
        solid(256, 256, [255, 255, 255], 0)
          .composite([{ input: await discPng(), blend: 'over', top: 0, left: 0 }])
          .toColourspace('b-w')
          .png()
          .toBuffer(),
      ),
      status: 202,
    },
    {
      name: 'palette PNG with transparency',
      parts: one(async () => {
        const disc = Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">' +
            '<circle cx="128" cy="128" r="80" fill="rgb(230,20,20)"/></svg>',
        );
        return sharp(disc).png({ palette: true }).toBuffer();
      }),
      status: 202,
      pixels: async (png) => {
        await centreIs(RED)(png);
        const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        assert.equal(data[info.channels - 1], 0, 'the corner stays transparent');
      },
    },
    {
      name: 'CMYK JPEG without a profile',
      parts: one(
        async () =>
          sharp(await discPng())
            .toColourspace('cmyk')
            .jpeg()
            .toBuffer(),
        'a.jpg',
      ),
      status: 202,
      pixels: centreIs(RED, 60),
    },
    {
      name: 'CMYK JPEG with a profile',
      parts: one(
        async () =>
          sharp(await discPng())
            .toColourspace('cmyk')
            .withIccProfile('cmyk')
            .jpeg()
            .toBuffer(),
        'a.jpg',
      ),
      status: 202,
      pixels: centreIs(RED, 60),
    },
    ...[1, 2, 3, 4, 5, 6, 7, 8].map((o): UploadCase => ({
      name: `EXIF orientation ${o}`,
      parts: one(
        () =>
          rawToSharp(storedForOrientation(quadrants(160, 96), o))
            .jpeg({ quality: 95 })
            .withMetadata({ orientation: o })
            .toBuffer(),
        'photo.jpg',
      ),
      status: 202,
      pixels: upright(160, 96),
    })),
    {
      name: 'animated WebP (first frame)',
      parts: one(() => animated('webp'), 'a.webp'),
      status: 202,
      pixels: centreIs(RED),
    },
    { name: 'APNG (first frame)', parts: one(() => apng()), status: 202, pixels: centreIs(RED) },
    { name: 'exactly 10 MiB, Content-Length', parts: one(() => pngOfSize(10 * MIB)), status: 202 },
    { name: 'exactly 10 MiB, chunked', parts: one(() => pngOfSize(10 * MIB)), chunked: true, status: 202 },
    {
      name: '10 MiB + 1 byte, Content-Length',
      parts: one(() => pngOfSize(10 * MIB + 1)),
      status: 413,
      error: TOO_LARGE,
      code: 'file_too_large',
    },
    {
      name: '10 MiB + 1 byte, chunked',
      parts: one(() => pngOfSize(10 * MIB + 1)),
      chunked: true,
      status: 413,
      error: TOO_LARGE,
      code: 'file_too_large',
    },
    {
      name: 'two files',
      parts: async () => [imagePart(await discPng()), imagePart(await discPng(), 'b.png')],
      status: 400,
      error: ErrorMessage.oneFileOnly,
      code: 'unexpected_file',
    },
    {
      name: 'the wrong field',
      parts: async () => [imagePart(await discPng(), 'a.png', 'file')],
      status: 400,
      error: ErrorMessage.oneFileOnly,
      code: 'unexpected_file',
    },
    {
      name: 'no file, a text field only',
      parts: () => Promise.resolve([{ disposition: 'form-data; name="note"', body: Buffer.from('hi') }]),
      status: 400,
      error: ErrorMessage.missingImage,
      code: 'missing_image',
    },
    { name: 'filename in UTF-8', parts: one(() => discPng(), '模型 ünïcødé.png'), status: 202 },
    {
      name: 'filename in Latin-1',
      parts: async () => [
        {
          disposition: Buffer.concat([
            Buffer.from('form-data; name="image"; filename="'),
            Buffer.from('caf\xe9 \xe0 la cr\xe8me.png', 'latin1'),
            Buffer.from('"'),
          ]),
          contentType: 'image/png',
          body: await discPng(),
        },
      ],
      status: 202,
    },
    {
      name: 'filename in RFC 5987 form',
      parts: async () => [
        {
          disposition: `form-data; name="image"; filename*=UTF-8''%E6%A8%A1%E5%9E%8B%2E%70%6E%67`,
          contentType: 'image/png',
          body: await discPng(),
        },
      ],
      status: 202,
    },
    { name: 'filename with ../', parts: one(() => discPng(), '../../../../tmp/evil.glb'), status: 202 },
    { name: 'filename with ..\\', parts: one(() => discPng(), '..\\..\\windows\\evil.glb'), status: 202 },
    {
      name: 'filename with a NUL byte (malformed header)',
      parts: one(() => discPng(), 'evil\u0000.png'),
      status: 400,
      error: ErrorMessage.badRequest,
      code: 'bad_request',
    },
    {
      name: 'too small (32x32)',
      parts: one(() => discPng(32)),
      status: 422,
      error: ErrorMessage.imageTooSmall,
      code: 'image_too_small',
    },
    {
      name: 'too small on one side (300x40)',
      parts: one(() => solid(300, 40, RED).png().toBuffer()),
      status: 422,
      error: ErrorMessage.imageTooSmall,
      code: 'image_too_small',
    },
    {
      name: 'nothing to model: white',
      parts: one(() => solid(256, 256, [255, 255, 255]).png().toBuffer()),
      ...noObject,
    },
    {
      name: 'nothing to model: one colour JPEG',
      parts: one(() => solid(256, 256, BLUE).jpeg().toBuffer(), 'a.jpg'),
      ...noObject,
    },
    {
      name: 'nothing to model: fully transparent',
      parts: one(() => solid(256, 256, RED, 0).png().toBuffer()),
      ...noObject,
    },
  ];
  return cases;
}

/** Checks one answer against its case: status, body shape and message. */
function checkReply(
  reply: Reply,
  c: { status: number; error?: string; code?: string },
  allowed5xx: number[] = [],
): void {
  noUnexpected5xx(reply.status, allowed5xx);
  assert.equal(reply.status, c.status, `status ${reply.status} ${reply.body.slice(0, 200)}`);
  assert.ok(reply.json, `a JSON body: ${reply.body.slice(0, 200)}`);
  if (c.status === 202) {
    assert.equal(reply.json['success'], true);
    assert.match(String(reply.json['task_id']), /^[0-9a-f-]{36}$/);
    assert.equal(typeof reply.json['queue_position'], 'number');
  } else {
    assert.deepEqual(reply.json, { success: false, error: c.error, code: c.code });
  }
}

/**
 * Hostile and unusual uploads (issue 11): the catalogue, each answered as documented, with the
 * queue held (Bull paused) so each accepted task's normalised picture can be read and checked;
 * then the refusals that must come before a queue slot (422, 400) sent while the queue is full.
 * The accepted tasks then run (full profile; the quick one cancels all but three) and every one
 * must end once; nothing may be left in the model store or TMPDIR; the api's memory is bounded.
 */
export const runUploads: CategoryRun = async (ctx: SuiteContext) => {
  const recorder = new Recorder('hostile uploads', ctx);
  const redis = await freshRedis();
  const suite = await startSuiteApi('uploads', { MAX_QUEUE: '60' });
  const queue = generationQueue();
  const api: ApiProcess = suite.api;
  try {
    await queue.pause();
    const rssBefore = rssMiB(api.child.pid);
    for (const c of catalogue()) {
      await recorder.check(c.name, api, async () => {
        const reply = await postMultipart(api.url, await c.parts(), { chunked: c.chunked });
        if (reply.status === 202 && reply.json) recorder.admitted.add(String(reply.json['task_id']));
        checkReply(reply, c);
        if (c.status === 202 && c.pixels) {
          const stored = await redis.getBuffer(RedisKeys.image(String(reply.json!['task_id'])));
          assert.ok(stored, 'the task keeps its normalised picture');
          await c.pixels(stored);
        }
      });
    }
    await refusalsWhileFull(recorder, api);
    const rssAfter = rssMiB(api.child.pid);
    await recorder.check('memory bounded', api, () => {
      assert.ok(!(rssAfter > RSS_BOUND_MIB), `api RSS ${rssAfter.toFixed(0)} MiB over ${RSS_BOUND_MIB}`);
      return Promise.resolve(`api RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MiB`);
    });
    recorder.report.notes.push(
      `api RSS before ${rssBefore.toFixed(0)} MiB, after ${rssAfter.toFixed(0)} MiB`,
    );
    // The quick profile lets three tasks run; the rest are cancelled (also an end, once).
    const keep = ctx.profile === 'full' ? Infinity : 3;
    let kept = 0;
    for (const id of recorder.admitted) {
      if (kept++ < keep) continue;
      await cancelTask(api.url, id);
    }
    await queue.resume();
    await recorder.settle(api, suite, ctx.profile === 'full' ? 600_000 : 120_000);
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    await queue.close();
    redis.disconnect();
    await suite.stop();
  }
  return recorder.report;
};

/**
 * With every queue slot taken, a refusal the api can judge from the picture's header (too small,
 * not a picture) still gets its own answer, not 503; a good picture, and one with nothing to
 * model (judged only by decoding it, which a full queue no longer pays for: issue 19, the order
 * of checks in docs/design.md), get 503 + Retry-After. The fillers are cancelled afterwards.
 */
async function refusalsWhileFull(recorder: Recorder, api: ApiProcess): Promise<void> {
  const fillers: string[] = [];
  const png = await discPng();
  for (let i = 0; i < 80; i++) {
    const reply = await postMultipart(api.url, [imagePart(png)]);
    if (reply.status !== 202) break;
    fillers.push(String(reply.json!['task_id']));
  }
  for (const id of fillers) recorder.admitted.add(id);
  const whileFull: UploadCase[] = [
    {
      name: 'queue full: a good picture',
      parts: one(() => discPng()),
      status: 503,
      error: ErrorMessage.busy,
      code: 'server_busy',
    },
    {
      name: 'queue full: nothing to model (white)',
      parts: one(() => solid(256, 256, [255, 255, 255]).png().toBuffer()),
      status: 503,
      error: ErrorMessage.busy,
      code: 'server_busy',
    },
    {
      name: 'queue full: nothing to model (fully transparent)',
      parts: one(() => solid(256, 256, RED, 0).png().toBuffer()),
      status: 503,
      error: ErrorMessage.busy,
      code: 'server_busy',
    },
    {
      name: 'queue full: too small',
      parts: one(() => discPng(32)),
      status: 422,
      error: ErrorMessage.imageTooSmall,
      code: 'image_too_small',
    },
    {
      name: 'queue full: not a picture',
      parts: one(() => Buffer.from('not a picture')),
      status: 400,
      error: ErrorMessage.unsupportedImage,
      code: 'unsupported_image',
    },
  ];
  for (const c of whileFull) {
    await recorder.check(c.name, api, async () => {
      const reply = await postMultipart(api.url, await c.parts());
      if (reply.status === 202 && reply.json) recorder.admitted.add(String(reply.json['task_id']));
      checkReply(reply, c, c.status === 503 ? [503] : []);
      if (c.status === 503) assert.match(String(reply.headers['retry-after']), /^\d+$/, 'Retry-After');
    });
  }
  for (const id of fillers) await cancelTask(api.url, id);
}
