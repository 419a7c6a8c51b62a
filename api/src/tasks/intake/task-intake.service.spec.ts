import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { noisy } from '../../../test/reliability/images';
import { ApiError, ErrorMessage } from '../../common/api-error';
import type { TaskLifecycle } from '../lifecycle/task-lifecycle.service';
import { loadConfig } from '../../config/app-config';
import { DecodeGate } from './decode-gate';
import { TaskIntakeService } from './task-intake.service';
import type { QualityPresetsService } from '../options/quality-presets.service';

/**
 * An admission whose queue fills between the precheck and admit() (another upload took the last
 * slot while this one decoded): the precheck passes, or with `fullAtPrecheck` is the 503 already;
 * every admit() is the contract's 503 (admission.service.ts).
 */
class FullAdmission {
  admits = 0;
  constructor(
    private readonly fullAtPrecheck = false,
    private readonly paused = false,
  ) {}
  refuseIfClosed(): Promise<void> {
    return this.paused
      ? Promise.reject(new ApiError('admissions_paused', { headers: { 'Retry-After': '60' } }))
      : Promise.resolve();
  }
  precheck(_client = ''): Promise<void> {
    return this.fullAtPrecheck
      ? Promise.reject(new ApiError(503, ErrorMessage.busy, { 'Retry-After': '30' }))
      : Promise.resolve();
  }
  admit(_client = ''): Promise<string> {
    this.admits += 1;
    return Promise.reject(new ApiError(503, ErrorMessage.busy, { 'Retry-After': '30' }));
  }
  release(): Promise<void> {
    return Promise.resolve();
  }
}

/** The decode budget, counting the decodes it lets run. */
class CountingGate extends DecodeGate {
  decodes = 0;
  override run<T>(megapixels: number, decode: () => Promise<T>): Promise<T> {
    this.decodes += 1;
    return super.run(megapixels, decode);
  }
}

const CONFIG = loadConfig({ INFERENCE_ENGINE: 'simulate', INSTANT_REPEATS: 'off' }, '/');

function service(admission: FullAdmission, gate = new CountingGate(CONFIG)): TaskIntakeService {
  // None is reached: every case ends at the header, the one decode or admission.
  const unused = {} as never;
  // Every preset fits (no job measured yet): the quality check passes.
  const presets = {
    refusal: (): Promise<undefined> => Promise.resolve(undefined),
  } as unknown as QualityPresetsService;
  return new TaskIntakeService(
    admission as unknown as TaskLifecycle,
    unused,
    unused,
    unused,
    presets,
    unused,
    unused,
    CONFIG,
    gate,
    unused,
  );
}

const file = (buffer: Buffer): Express.Multer.File =>
  ({ buffer, size: buffer.length }) as Express.Multer.File;

/** A PNG of a white `canvas`² picture with one `square`² of `colour` at (at, at): an object, not blank. */
const squareOnWhite = (canvas: number, square: number, colour: sharp.Color, at: number): Promise<Buffer> =>
  sharp({ create: { width: canvas, height: canvas, channels: 3, background: 'white' } })
    .composite([
      {
        input: { create: { width: square, height: square, channels: 3, background: colour } },
        top: at,
        left: at,
      },
    ])
    .png()
    .toBuffer();

const solid = (alpha: number) =>
  sharp({ create: { width: 256, height: 256, channels: 4, background: { r: 200, g: 30, b: 30, alpha } } })
    .png()
    .toBuffer();

void describe('TaskIntakeService.submit while the queue is full (issues 11 and 19)', () => {
  for (const [name, make] of [
    ['one colour', () => solid(1)],
    ['fully transparent', () => solid(0)],
    [
      'a one-colour JPEG',
      () =>
        sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } })
          .jpeg()
          .toBuffer(),
    ],
  ] as const) {
    void it(`a blank picture (${name}) gets 422 "No object found in the image", not 503, and takes no slot`, async () => {
      const admission = new FullAdmission();
      await assert.rejects(
        service(admission).submit(file(await make()), {}, false, 'http://x', '127.0.0.1'),
        (e: unknown) => e instanceof ApiError && e.status === 422 && e.message === ErrorMessage.noObject,
      );
      assert.equal(admission.admits, 0);
    });
  }

  void it('a picture too small (the header) or whose pixels do not decode gets its own answer, not 503, and takes no slot', async () => {
    const noise = (width: number, height: number) => noisy(width, height).png();
    const cases: [Buffer, number, string][] = [
      [await noise(63, 200).toBuffer(), 422, ErrorMessage.imageTooSmall],
      // A whole header, the pixels cut short: the one decode refuses it.
      [(await noise(256, 256).toBuffer()).subarray(0, 4000), 400, ErrorMessage.unsupportedImage],
    ];
    for (const [bytes, status, message] of cases) {
      const admission = new FullAdmission();
      await assert.rejects(
        service(admission).submit(file(bytes), {}, false, 'http://x', '127.0.0.1'),
        (e: unknown) => e instanceof ApiError && e.status === status && e.message === message,
      );
      assert.equal(admission.admits, 0, message);
    }
  });

  void it('a picture with something in it reaches admission (503 Server busy)', async () => {
    const admission = new FullAdmission();
    const disc = await sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" ' +
          'fill="white"/><circle cx="128" cy="128" r="60" fill="red"/></svg>',
      ),
    )
      .png()
      .toBuffer();
    await assert.rejects(
      service(admission).submit(file(disc), {}, false, 'http://x', '127.0.0.1'),
      (e: unknown) => e instanceof ApiError && e.status === 503,
    );
    assert.equal(admission.admits, 1);
  });

  void it('a small object on a large canvas is not taken for blank', async () => {
    const admission = new FullAdmission();
    // 2048 px canvas, a 24 px square: the engine's least object (16 px) and a bit more.
    const png = await squareOnWhite(2048, 24, { r: 120, g: 120, b: 120 }, 1000);
    await assert.rejects(
      service(admission).submit(file(png), {}, false, 'http://x', '127.0.0.1'),
      (e: unknown) => e instanceof ApiError && e.status === 503,
    );
  });

  void it('a queue already full before the decode answers 503 without decoding the picture (issue 19)', async () => {
    const gate = new CountingGate(CONFIG);
    const admission = new FullAdmission(true);
    const png = await squareOnWhite(512, 64, 'red', 9);
    await assert.rejects(
      service(admission, gate).submit(file(png), {}, false, 'http://x', '127.0.0.1'),
      (e: unknown) => e instanceof ApiError && e.status === 503 && e.headers['Retry-After'] === '30',
    );
    assert.deepEqual([gate.decodes, admission.admits], [0, 0]);
  });

  void it('while admissions are paused an upload answers 503 admissions_paused before its picture is decoded', async () => {
    const gate = new CountingGate(CONFIG);
    const admission = new FullAdmission(false, true);
    const png = await squareOnWhite(256, 64, 'red', 9);
    await assert.rejects(
      service(admission, gate).submit(file(png), {}, false, 'http://x', '127.0.0.1'),
      (e: unknown) =>
        e instanceof ApiError &&
        e.status === 503 &&
        e.code === 'admissions_paused' &&
        e.message === 'Not taking new tasks right now, retry later' &&
        e.headers['Retry-After'] === '60',
    );
    assert.deepEqual([gate.decodes, admission.admits], [0, 0]);
  });
});
