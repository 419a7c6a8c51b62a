import assert from 'node:assert/strict';
import fc from 'fast-check';
import sharp from 'sharp';
import { ERROR_TABLE, ErrorMessage } from '../../src/common/api-error';
import { cancelTask } from '../support/http-client';
import {
  type CategoryRun,
  Recorder,
  freshRedis,
  generationQueue,
  noUnexpected5xx,
  startSuiteApi,
} from './harness';
import { discPng } from './images';
import { imagePart, postMultipart } from './multipart';

/** Every answer the upload path may give to one file: its message and code (docs/design.md). */
const DOCUMENTED: Record<number, [string, string][]> = {
  400: [
    [ErrorMessage.unsupportedImage, 'unsupported_image'],
    [ErrorMessage.badRequest, 'bad_request'],
  ],
  413: [['File too large, max 10MB', 'file_too_large']],
  422: [
    [ErrorMessage.imageTooSmall, 'image_too_small'],
    // A flipped byte in a header's width or height can claim more than 67.1 megapixels.
    [ERROR_TABLE.image_too_large.message, 'image_too_large'],
    [ErrorMessage.noObject, 'no_object'],
  ],
  503: [[ErrorMessage.busy, 'server_busy']],
};

/**
 * Property-based fuzzing of the upload path (issue 11) with fast-check: random bytes, and valid
 * PNG / JPEG / WebP files with bytes flipped, cut, spliced or repeated. Property: the answer is
 * 202 or a documented refusal with its exact message; never a 5xx, never a dead api. The queue is
 * held (Bull paused) and every admitted task is cancelled at the end: this category is about
 * the upload path, not the engine.
 */
export const runUploadFuzz: CategoryRun = async (ctx) => {
  const recorder = new Recorder('upload fuzzing', ctx);
  const redis = await freshRedis();
  const suite = await startSuiteApi('fuzz', { MAX_QUEUE: '1000' });
  const queue = generationQueue();
  const api = suite.api;
  const runs = ctx.profile === 'full' ? 400 : 150;
  try {
    await queue.pause();
    const png = await discPng(96);
    const seeds = [png, await sharp(png).jpeg().toBuffer(), await sharp(png).webp().toBuffer()];
    const mutated = fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.option(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 64 })), { nil: undefined }),
      )
      .map(([seed, flips, cut, splice]) => {
        let bytes = Buffer.from(seed);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        if (splice) {
          const at = splice[0] % bytes.length;
          bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(splice[1]), bytes.subarray(at)]);
        }
        if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        return bytes;
      });
    const random = fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a));
    const seen = new Map<number, number>();
    let failure = '';
    let tried = 0;
    // Each upload is one case of the table (shrinking's tries included: each is a real upload).
    const property = fc.asyncProperty(
      fc.oneof(mutated, random),
      fc.string({ maxLength: 40 }),
      async (bytes, name) => {
        let ok = true;
        await recorder.check(`fuzz upload ${++tried} (${bytes.length} bytes)`, undefined, async () => {
          const reply = await postMultipart(api.url, [
            imagePart(bytes, `${name.replace(/["\r\n\\]/g, '')}.png`),
          ]);
          seen.set(reply.status, (seen.get(reply.status) ?? 0) + 1);
          if (reply.status === 202) {
            recorder.admitted.add(String(reply.json?.['task_id']));
            return;
          }
          ok = false;
          noUnexpected5xx(reply.status, [503]);
          const answers = DOCUMENTED[reply.status];
          assert.ok(answers, `undocumented status ${reply.status}: ${reply.body.slice(0, 200)}`);
          assert.ok(reply.json && reply.json['success'] === false, reply.body.slice(0, 200));
          const answer = [String(reply.json['error']), String(reply.json['code'])];
          assert.ok(
            answers.some(([error, code]) => answer[0] === error && answer[1] === code),
            `error and code ${answer.join(', ')}`,
          );
          ok = true;
        });
        return ok;
      },
    );
    await recorder.check(`the property over ${runs} runs (fast-check), api healthy after`, api, async () => {
      const result = await fc.check(property, {
        numRuns: runs,
        seed: Number(process.env.KILN_FUZZ_SEED ?? Date.now() % 2 ** 31),
      });
      if (result.failed) {
        failure = fc.defaultReportMessage(result) ?? 'failed';
        throw new Error(failure.slice(0, 600));
      }
      return [...seen].map(([status, n]) => `${status}: ${n}`).join(', ');
    });
    recorder.report.notes.push(`answers: ${[...seen].map(([status, n]) => `${status} x${n}`).join(', ')}`);
    for (const id of recorder.admitted) await cancelTask(api.url, id);
    await queue.resume();
    await recorder.settle(api, suite, 60_000);
    await api.stop();
    recorder.checkFiles(suite);
  } finally {
    await queue.close();
    redis.disconnect();
    await suite.stop();
  }
  return recorder.report;
};
