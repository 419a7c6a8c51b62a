// The server's own limits through the real page: busy (MAX_QUEUE=1 filled by real uploads),
// cancel of a queued and of a running task, timeout (JOB_TIMEOUT_S small, slow simulate), and a
// dropped event stream that recovers. Real server paths only: nothing here fakes a response.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  SAMPLES_DIR,
  newPage,
  saveArtifact,
  sharedBrowser,
  startApi,
  startDropProxy,
  useApiAndBrowser,
} from './helpers.mjs';

const SAMPLE = join(SAMPLES_DIR, 'lantern_on_white.jpg');

async function postSample(baseUrl) {
  const form = new FormData();
  form.append('image', new Blob([readFileSync(SAMPLE)], { type: 'image/jpeg' }), 'lantern.jpg');
  const response = await fetch(`${baseUrl}/api/generate`, { method: 'POST', body: form });
  return {
    status: response.status,
    body: await response.json(),
    retryAfter: response.headers.get('Retry-After'),
  };
}

async function taskState(baseUrl, id) {
  return (await fetch(`${baseUrl}/api/tasks/${id}`)).json();
}

/** Picks the sample and presses Generate; returns the server's answer to the upload. */
async function generateFromPage(page) {
  if ((await page.locator('[data-testid=thumbnail]').count()) === 0) {
    await page.locator('[data-testid=file-input]').setInputFiles(SAMPLE);
    await page.locator('[data-testid=thumbnail]').waitFor();
  }
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
  await page.locator('[data-testid=generate]').click();
  const response = await answer;
  return { status: response.status(), headers: response.headers(), body: await response.json() };
}

describe('busy and cancel (MAX_QUEUE=1, slow simulate)', () => {
  const app = useApiAndBrowser({ MAX_QUEUE: '1', SIMULATE_SECONDS: '60' });

  test('a full queue answers busy; the page says when to try again', async () => {
    const running = await postSample(app.api.baseUrl);
    const waiting = await postSample(app.api.baseUrl);
    assert.equal(running.status, 202);
    assert.equal(waiting.status, 202);
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      const answer = await generateFromPage(page);
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error, 'Server busy, retry later');
      const retryAfter = Number(answer.headers['retry-after']);
      assert.ok(retryAfter > 0, `Retry-After ${answer.headers['retry-after']}`);
      const failed = page.locator('[data-testid=status-failed]');
      await failed.waitFor();
      assert.equal(await failed.getAttribute('data-error-code'), 'server_busy');
      // One number on the page: the alert says "try again later", the hint below counts Retry-After down.
      assert.match((await failed.textContent()) ?? '', /Try again later\./);
      assert.doesNotMatch((await failed.textContent()) ?? '', /\d+ s/);
      // The retry button waits out Retry-After.
      assert.equal(await page.locator('[data-testid=retry]').isDisabled(), true);
      const countdown = page.locator('[data-testid=retry-countdown]');
      await countdown.waitFor();
      const leftS = Number(/try again in (\d+) s/.exec((await countdown.textContent()) ?? '')?.[1]);
      assert.ok(leftS > 0 && leftS <= retryAfter, `${leftS} s of ${retryAfter}`);
      await saveArtifact('busy.png', await page.screenshot({ fullPage: true }));

      // Free the waiting slot; the same picture now waits in line, and can be cancelled there.
      assert.ok(
        (
          await fetch(`${app.api.baseUrl}/api/tasks/${waiting.body.task_id}`, {
            method: 'DELETE',
            headers: { 'X-Task-Token': waiting.body.task_token },
          })
        ).ok,
      );
      await page.getByRole('button', { name: 'Start over' }).click();
      const queued = await generateFromPage(page);
      assert.equal(queued.status, 202);
      // The place comes with the upload's answer, the estimate with the first queued event.
      await page.locator('[data-testid=status-queued]', { hasText: 'Estimated wait' }).waitFor();
      const queuedText = (await page.locator('[data-testid=status-queued]').textContent()) ?? '';
      assert.match(queuedText, /Next in line/);
      assert.match(queuedText, /Estimated wait: about \d+ (s|min)/);
      await saveArtifact('queued.png', await page.screenshot({ fullPage: true }));
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('[data-testid=status-cancelled]').waitFor();
      const cancelled = await taskState(app.api.baseUrl, queued.body.task_id);
      assert.equal(cancelled.status, 'failed');
      assert.equal(cancelled.cancelled, true);
      assert.equal(cancelled.error_code, 'task_cancelled');

      // A running task can be cancelled too.
      assert.ok(
        (
          await fetch(`${app.api.baseUrl}/api/tasks/${running.body.task_id}`, {
            method: 'DELETE',
            headers: { 'X-Task-Token': running.body.task_token },
          })
        ).ok,
      );
      await page.getByRole('button', { name: 'Start over' }).click();
      const started = await generateFromPage(page);
      assert.equal(started.status, 202);
      await page.locator('[data-testid=status-processing]').waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('[data-testid=status-cancelled]').waitFor();
      assert.equal((await taskState(app.api.baseUrl, started.body.task_id)).cancelled, true);
      assert.deepEqual(
        errors.filter((e) => !/status of 503/.test(e)),
        [],
      );
    } finally {
      await context.close();
    }
  });
});

describe('timeout (JOB_TIMEOUT_S=4, slow simulate)', () => {
  const app = useApiAndBrowser({ JOB_TIMEOUT_S: '4', SIMULATE_SECONDS: '60' });

  test('a job over the limit ends with the timeout message and a way to retry', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      const answer = await generateFromPage(page);
      assert.equal(answer.status, 202);
      await page.locator('[data-testid=status-processing]').waitFor();
      const failed = page.locator('[data-testid=status-failed]');
      await failed.waitFor({ timeout: 90_000 });
      assert.equal(await failed.getAttribute('data-error-code'), 'generation_timeout');
      assert.match((await failed.textContent()) ?? '', /took too long.*Refresh and try again/);
      assert.equal(await page.locator('[data-testid=retry]').isEnabled(), true);
      await saveArtifact('timeout.png', await page.screenshot({ fullPage: true }));
      const state = await taskState(app.api.baseUrl, answer.body.task_id);
      assert.equal(state.status, 'failed');
      assert.equal(state.error, 'Generation timeout');
    } finally {
      await context.close();
    }
  });
});

describe('a dropped event stream', () => {
  let api;
  let proxy;
  let browser;

  before(async () => {
    api = await startApi({ SIMULATE_SECONDS: '14' });
    proxy = await startDropProxy(api.baseUrl);
    browser = await sharedBrowser();
  });

  after(async () => {
    await proxy?.stop();
    await api?.stop();
  });

  test('recovers by itself after the connection is cut mid-task, then shows the model', async () => {
    const { context, page } = await newPage(browser);
    try {
      const streams = [];
      page.on('request', (r) => r.url().includes('/api/status/') && streams.push(Date.now()));
      await page.goto(proxy.url);
      const answer = await generateFromPage(page);
      assert.equal(answer.status, 202);
      await page.locator('[data-testid=status-processing]').waitFor();
      const before = Number.parseInt((await page.locator('[data-testid=percent]').textContent()) ?? '0', 10);
      assert.ok(proxy.dropAll() > 0, 'the event stream was open through the relay');
      await page.locator('[data-testid=reconnecting]').waitFor({ timeout: 10_000 });
      await saveArtifact('reconnecting.png', await page.screenshot({ fullPage: true }));
      // EventSource reconnects (with Last-Event-ID); the first event clears the notice.
      await page.locator('[data-testid=reconnecting]').waitFor({ state: 'detached', timeout: 30_000 });
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor();
      assert.ok(streams.length >= 2, `stream opened ${streams.length} times`);
      // The terminal event closed the stream: no reconnect after it (the server's retry is 3 s).
      const opened = streams.length;
      await page.waitForTimeout(4500);
      assert.equal(streams.length, opened);
      const state = await taskState(api.baseUrl, answer.body.task_id);
      assert.equal(state.status, 'completed');
      assert.ok(before < 100);
    } finally {
      await context.close();
    }
  });
});

for (const fault of [
  { env: 'oom', error: 'GPU out of memory', code: 'gpu_out_of_memory', text: /ran out of memory/ },
  { env: 'internal', error: 'Internal error', code: 'internal_error', text: /went wrong on the server/ },
]) {
  describe(`engine failure: ${fault.error} (simulate fault ${fault.env})`, () => {
    const app = useApiAndBrowser({ KILN_SIMULATE_FAULT: fault.env, SIMULATE_SECONDS: '2' });

    test('the page explains the failure in plain words and offers a retry', async () => {
      const { context, page } = await newPage(app.browser);
      try {
        await page.goto(app.api.baseUrl);
        assert.equal((await generateFromPage(page)).status, 202);
        const failed = page.locator('[data-testid=status-failed]');
        await failed.waitFor();
        assert.equal(await failed.getAttribute('data-error-code'), fault.code);
        assert.match((await failed.textContent()) ?? '', fault.text);
        assert.equal(await page.locator('[data-testid=retry]').isEnabled(), true);
        await saveArtifact(`failure-${fault.env}.png`, await page.screenshot({ fullPage: true }));
      } finally {
        await context.close();
      }
    });
  });
}
