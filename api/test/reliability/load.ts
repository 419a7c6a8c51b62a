import assert from 'node:assert/strict';
import { ErrorMessage } from '../../src/common/api-error';
import { getJson, readSse } from '../support/http-client';
import { sleep } from '../support/env';
import {
  type CategoryRun,
  Recorder,
  freshRedis,
  generationQueue,
  noUnexpected5xx,
  rssMiB,
  startSuiteApi,
} from './harness';
import { discPng } from './images';
import { imagePart, postMultipart } from './multipart';

const BURST = 50;
const SSE_CLIENTS = 200;

/**
 * Load (issue 11): 50 uploads at the same instant against the default queue (MAX_QUEUE 5):
 * exactly one running and five waiting, the other 44 answered 503 with Retry-After, every
 * admitted task completes once. Then 200 SSE clients on one held task: the full profile holds
 * them past 100 s on the default 15 s heartbeats (Cloudflare cuts a silent stream at ~100 s),
 * the quick one 6 s on 1 s heartbeats; every stream stays open and then gets the final event.
 * The api's memory before and after is printed. The engine is `simulate` (the inflate engine's
 * result, 2 s a job) so the one running task can be seen running.
 */
export const runLoad: CategoryRun = async (ctx) => {
  const recorder = new Recorder('load', ctx);
  const redis = await freshRedis();
  const heartbeatS = ctx.profile === 'full' ? 15 : 1;
  const holdMs = ctx.profile === 'full' ? 105_000 : 6_000;
  const suite = await startSuiteApi('load', {
    INFERENCE_ENGINE: 'simulate',
    SIMULATE_SECONDS: '2',
    SSE_HEARTBEAT_S: String(heartbeatS),
  });
  const api = suite.api;
  const queue = generationQueue();
  try {
    const rssBefore = rssMiB(api.child.pid);
    const png = await discPng();
    const replies = await Promise.all(
      Array.from({ length: BURST }, () => postMultipart(api.url, [imagePart(png)])),
    );
    const admitted = replies.filter((r) => r.status === 202).map((r) => String(r.json!['task_id']));
    for (const id of admitted) recorder.admitted.add(id);
    await recorder.check(`${BURST} uploads at once: 6 admitted, 44 x 503 + Retry-After`, api, async () => {
      for (const r of replies) noUnexpected5xx(r.status, [503]);
      assert.equal(admitted.length, 6, `admitted ${admitted.length}`);
      const busy = replies.filter((r) => r.status === 503);
      assert.equal(busy.length, BURST - 6);
      for (const r of busy) {
        assert.deepEqual(r.json, { success: false, error: ErrorMessage.busy, code: 'server_busy' });
        assert.match(String(r.headers['retry-after']), /^[1-9]\d*$/);
      }
      // Sampled for 1.5 s: never two GPU jobs (Bull's active generation jobs: a task whose web
      // model is being made after its GPU job still reads `processing`, WEB_MODEL_OVERLAP), and
      // a moment with one GPU job and all six tasks accounted for (between two jobs none runs for
      // a few milliseconds).
      let seen = '';
      for (let sample = 0; sample < 15; sample++) {
        const states = await Promise.all(admitted.map((id) => getJson(`${api.url}/api/tasks/${id}`)));
        const gpu = await queue.getActiveCount();
        const count = (status: string): number => states.filter((s) => s.body['status'] === status).length;
        const [running, waiting, done] = [count('processing'), count('queued'), count('completed')];
        assert.ok(gpu <= 1, `GPU jobs running ${gpu}`);
        assert.ok(running <= 2, `processing ${running}: one GPU job and at most one web model`);
        if (gpu === 1 && running + waiting + done === 6) {
          seen ||= `GPU job 1, processing ${running}, waiting ${waiting}, done ${done}`;
        }
        await sleep(100);
      }
      assert.ok(seen, 'one running and five waiting (or done) at some moment');
      return seen;
    });
    const ends = await recorder.settle(api, suite, 120_000);
    await recorder.check('every admitted task completed once', api, () => {
      const completed = [...ends.values()].filter((e) => e.status === 'completed').length;
      assert.equal(completed, admitted.length);
      return Promise.resolve();
    });

    // 200 SSE clients on one task held in the queue (Bull paused), then released.
    await queue.pause();
    const held = await postMultipart(api.url, [imagePart(png)]);
    assert.equal(held.status, 202, held.body);
    const heldId = String(held.json!['task_id']);
    recorder.admitted.add(heldId);
    const clients = Array.from({ length: SSE_CLIENTS }, () =>
      readSse(`${api.url}/api/status/${heldId}`, { timeoutMs: holdMs + 60_000 }),
    );
    await sleep(holdMs);
    const rssHeld = rssMiB(api.child.pid);
    await queue.resume();
    const reads = await Promise.all(clients);
    await recorder.check(
      `${SSE_CLIENTS} SSE clients held ${holdMs / 1000} s on ${heartbeatS} s heartbeats, then the final event`,
      api,
      () => {
        const minBeats = Math.floor(holdMs / 1000 / heartbeatS) - 1;
        for (const read of reads) {
          assert.equal(read.status, 200);
          assert.ok(read.endedByServer, 'the stream ended after the terminal event, not before');
          assert.equal(read.events.at(-1)?.event, 'completed');
          assert.ok(
            read.comments.length >= minBeats,
            `${read.comments.length} heartbeats, expected ${minBeats}+`,
          );
        }
        return Promise.resolve(`each got ${Math.min(...reads.map((r) => r.comments.length))}+ heartbeats`);
      },
    );
    await recorder.settle(api, suite, 60_000);
    const rssAfter = rssMiB(api.child.pid);
    recorder.report.notes.push(
      `api RSS ${rssBefore.toFixed(0)} MiB before, ${rssHeld.toFixed(0)} MiB with ${SSE_CLIENTS} streams, ` +
        `${rssAfter.toFixed(0)} MiB after`,
    );
    await api.stop();
    recorder.checkFiles(suite);
  } finally {
    await queue.close();
    redis.disconnect();
    await suite.stop();
  }
  return recorder.report;
};
