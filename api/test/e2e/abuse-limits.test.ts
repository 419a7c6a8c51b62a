import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir } from '../support/env';
import { type MadeTask, cancelTask, followToEnd, sample } from '../support/http-client';
import { type RawReply, imageForm, sendRaw } from '../support/raw-http';

const PNG = 'typical_misc_lantern.png';
const TOO_MANY = { success: false, error: 'Too many requests, retry later', code: 'too_many_requests' };
const TOO_MANY_ACTIVE = {
  success: false,
  error: 'Too many unfinished tasks from this client, retry when one ends',
  code: 'too_many_active_tasks',
};
/**
 * No sidecar: uploads are admitted and wait; the limits need no engine. Such an api is ended
 * with kill(): a graceful stop waits for the job it holds until SIGKILL (20 s) for nothing here.
 */
const NO_SIDECAR = { INFERENCE_URL: 'unix:///nonexistent/kiln3d-limits.sock' };

/** POST /api/generate with the lantern picture (or `body`), sending exactly these headers. */
async function post(api: ApiProcess, headers: Record<string, string> = {}, junk = false): Promise<RawReply> {
  const form = await imageForm(junk ? Buffer.from('not a picture\n'.repeat(20)) : sample(PNG), 'upload.png');
  return sendRaw(`${api.url}/api/generate`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': form.contentType },
    body: form.body,
  });
}

/**
 * Asserts a 429 with the contract's body (the rate's, or with `body` the share's) and a
 * Retry-After of 1..maxS whole seconds; returns it.
 */
function assertTooMany(reply: RawReply, maxS: number, body: object = TOO_MANY): number {
  assert.equal(reply.status, 429, reply.body);
  assert.deepEqual(JSON.parse(reply.body), body);
  const retryAfter = Number(reply.headers['retry-after']);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxS,
    String(reply.headers['retry-after']),
  );
  return retryAfter;
}

function taskId(reply: RawReply): string {
  return made(reply).task_id;
}

/** The task a 202 made: its id and its maker's token. */
function made(reply: RawReply): MadeTask {
  assert.equal(reply.status, 202, reply.body);
  return JSON.parse(reply.body) as MadeTask;
}

void describe('abuse limits, end to end', () => {
  const dir = tempDir('e2e-limits');
  // Processes on one Redis share one model store (separate folders are refused at start).
  const dirs = (name: string) => ({
    staticDir: join(dir.path, 'static'),
    logDir: join(dir.path, name, 'logs'),
  });
  after(() => dir.remove());

  void describe('uploads per minute: one count for two api processes on one Redis', () => {
    let trusting: ApiProcess;
    let untrusting: ApiProcess;
    before(async () => {
      await clearKilnKeys();
      const env = { ...NO_SIDECAR, UPLOADS_PER_MINUTE: '4', MAX_QUEUE: '20' };
      // The test connects from 127.0.0.1: one process trusts it as a proxy (the default,
      // loopback), the other trusts no peer, so there CF-Connecting-IP is a stranger's forgery.
      [trusting, untrusting] = await Promise.all([
        startApi({ ...dirs('trusting'), env, waitReady: false }),
        startApi({ ...dirs('untrusting'), env: { ...env, TRUST_PROXY: 'false' }, waitReady: false }),
      ]);
    });
    after(async () => {
      await Promise.all([trusting?.kill(), untrusting?.kill()]);
      await clearKilnKeys();
    });

    void it('the 5th upload within the minute is 429 with Retry-After, on either process, whatever CF-Connecting-IP a stranger sends', async () => {
      taskId(await post(trusting));
      taskId(await post(untrusting, { 'CF-Connecting-IP': '198.51.100.1' }));
      taskId(
        await post(untrusting, { 'CF-Connecting-IP': '198.51.100.2', 'X-Forwarded-For': '198.51.100.3' }),
      );
      // A refused upload counts too.
      assert.equal((await post(trusting, {}, true)).status, 400);
      assertTooMany(await post(untrusting, { 'CF-Connecting-IP': '198.51.100.4' }), 60);
      // Judged before the body is read: junk gets the 429, not the 400.
      assertTooMany(await post(trusting, {}, true), 60);
      assertTooMany(await post(untrusting), 60);
    });

    void it('from a trusted proxy CF-Connecting-IP is the client: another address has its own count', async () => {
      taskId(await post(trusting, { 'CF-Connecting-IP': '203.0.113.50' }));
      assertTooMany(await post(trusting), 60);
    });
  });

  void describe('active tasks per client (real sidecar, simulate engine)', () => {
    let api: ApiProcess;
    before(async () => {
      await clearKilnKeys();
      api = await startApi({
        ...dirs('active'),
        env: { SIMULATE_SECONDS: '3', ACTIVE_TASKS_PER_CLIENT: '1' },
      });
    });
    after(async () => {
      await api?.stop();
      await clearKilnKeys();
    });

    void it('a second unfinished task is 429; the place frees when the task completes, and when one is cancelled', async () => {
      const first = taskId(await post(api));
      // Retry-After = one mean job duration: 3 s for this simulate engine before any job ran.
      assert.equal(assertTooMany(await post(api), 600, TOO_MANY_ACTIVE), 3);
      const events = await followToEnd(api.url, first, 60_000);
      assert.equal(events.at(-1)?.event, 'completed');
      const second = made(await post(api));
      assertTooMany(await post(api), 600, TOO_MANY_ACTIVE);
      const cancelled = await cancelTask(api.url, second);
      assert.equal(cancelled.status, 200);
      const third = made(await post(api));
      assert.equal((await cancelTask(api.url, third)).status, 200);
    });
  });

  void describe('the defaults', () => {
    let api: ApiProcess;
    before(async () => {
      await clearKilnKeys();
      // '' = unset: the api's own defaults (30 uploads a minute; unfinished tasks per client: half
      // the capacity, here (1 worker + MAX_QUEUE 5) / 2 = 3).
      api = await startApi({
        ...dirs('defaults'),
        env: { ...NO_SIDECAR, UPLOADS_PER_MINUTE: '', ACTIVE_TASKS_PER_CLIENT: '' },
        waitReady: false,
      });
    });
    after(async () => {
      await api?.kill();
      await clearKilnKeys();
    });

    void it('a family sending 8 at once, twice, holds half the queue (3 of 6); the rest is 429 with Retry-After, never 503', async () => {
      for (let round = 0; round < 2; round++) {
        const replies = await Promise.all(Array.from({ length: 8 }, () => post(api)));
        const statuses = replies.map((r) => r.status).sort();
        assert.deepEqual(
          statuses,
          [202, 202, 202, 429, 429, 429, 429, 429],
          replies.map((r) => r.body).join('\n'),
        );
        for (const reply of replies.filter((r) => r.status === 429)) assert.ok(reply.headers['retry-after']);
        for (const reply of replies.filter((r) => r.status === 202)) {
          assert.equal((await cancelTask(api.url, made(reply))).status, 200);
        }
      }
    });
  });
});
