// The ops console (/ops, issue 22) in real Chromium against the real api and its simulate sidecar
// (6 s a job, so one task runs while another waits): the token gate, a real worker and queue, the
// operator's cancel of a waiting task, pause and resume of admissions, a restart of the sidecar,
// and an api-only process without ADMIN_TOKEN whose console and routes are off.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import {
  PHONE_VIEWPORT,
  REDIS_URL,
  ROOT,
  SAMPLES_DIR,
  apiSupport,
  horizontalOverflow,
  newPage,
  saveArtifact,
  useApiAndBrowser,
  visibleInViewport,
} from './helpers.mjs';

const ADMIN_TOKEN = 'ops-e2e-token-0123456789abcdef';
const LANTERN = readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png'));

/** POST /api/generate from the test (not the page): the api's answer, status and body. */
async function upload(baseUrl) {
  const form = new FormData();
  form.append('image', new Blob([LANTERN], { type: 'image/png' }), 'lantern.png');
  const response = await fetch(`${baseUrl}/api/generate`, { method: 'POST', body: form });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  };
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Opens /ops and gives it the token through its form. */
async function openConsole(page, baseUrl, token = ADMIN_TOKEN) {
  await page.goto(`${baseUrl}/ops`);
  await page.getByTestId('ops-token').fill(token);
  await page.getByTestId('ops-token-form').locator('button[type=submit]').click();
}

/** Presses an action's button, then the dialog's confirm; resolves with the outcome line. */
async function confirmAction(page, button) {
  await button.click();
  const dialog = page.getByTestId('ops-dialog');
  await dialog.waitFor({ state: 'visible' });
  await page.getByTestId('ops-dialog-confirm').click();
  await dialog.waitFor({ state: 'hidden' });
  return page.getByTestId('ops-outcome');
}

describe('the ops console', () => {
  const session = useApiAndBrowser({ ADMIN_TOKEN, SIMULATE_SECONDS: '6' });
  let apiOnly;
  after(async () => {
    await apiOnly?.kill();
  });

  test('without the token, or with a wrong one, the page shows nothing else and its routes refuse (401)', async () => {
    const { api, browser } = session;
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${api.baseUrl}/ops`);
      await page.getByTestId('ops-need-token').waitFor();
      assert.equal(await page.getByTestId('ops-admissions').count(), 0);
      await openConsole(page, api.baseUrl, 'not-the-admin-token');
      await page.getByTestId('ops-refused').waitFor();
      assert.equal(await page.getByTestId('ops-admissions').count(), 0);
      assert.equal(await page.getByTestId('ops-worker').count(), 0);
      for (const [method, path] of [
        ['GET', '/api/admin/overview'],
        ['POST', '/api/admin/admissions/pause'],
        ['POST', '/api/admin/cleanup'],
        ['POST', '/api/admin/inference/restart'],
        ['POST', '/api/admin/workers/inference/restart'],
        ['POST', '/api/admin/workers/00000000-0000-4000-8000-000000000000/inference/restart'],
        ['DELETE', '/api/admin/tasks/00000000-0000-4000-8000-000000000000'],
      ]) {
        const response = await fetch(`${api.baseUrl}${path}`, { method });
        assert.equal(response.status, 401, `${method} ${path}`);
      }
    } finally {
      await context.close();
    }
  });

  test('shows the real worker and queue (one running, one waiting), and cancels the waiting task', async () => {
    const { api, browser } = session;
    const { context, page, errors } = await newPage(browser);
    try {
      const running = await upload(api.baseUrl);
      const waiting = await upload(api.baseUrl);
      assert.deepEqual([running.status, waiting.status], [202, 202]);
      await openConsole(page, api.baseUrl);
      const worker = page.getByTestId('ops-worker');
      await worker.waitFor();
      assert.match((await worker.textContent()) ?? '', /simulate/);
      const runningRow = page.locator(`[data-testid=ops-task][data-task-id="${running.body.task_id}"]`);
      const waitingRow = page.locator(`[data-testid=ops-task][data-task-id="${waiting.body.task_id}"]`);
      await page
        .locator(`[data-testid=ops-task][data-task-id="${running.body.task_id}"][data-status=processing]`)
        .waitFor();
      await page
        .locator(`[data-testid=ops-task][data-task-id="${waiting.body.task_id}"][data-status=queued]`)
        .waitFor();
      await page.locator('[data-testid=ops-sidecar-state]', { hasText: 'busy' }).waitFor();
      assert.match((await runningRow.textContent()) ?? '', /Balanced \(1024\)/);
      await saveArtifact('ops-queue.png', await page.screenshot({ fullPage: true }));

      // On a phone the queue's rows fit, their Cancel included, and the page does not scroll
      // sideways (the header's visually hidden text once widened it to 529 px).
      await page.setViewportSize(PHONE_VIEWPORT);
      assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scroll on a phone');
      assert.ok(await visibleInViewport(waitingRow.getByTestId('ops-cancel')), 'Cancel on screen');
      // ... and whole: not cut by the table's own sideways scroll box (it once read "Cance").
      const [scrollWidth, clientWidth] = await waitingRow
        .locator('xpath=ancestor::div[contains(@class, "table-wrap")]')
        .evaluate((box) => [box.scrollWidth, box.clientWidth]);
      assert.ok(
        scrollWidth <= clientWidth,
        `the queue table scrolls sideways: ${scrollWidth} > ${clientWidth}`,
      );
      await saveArtifact('ops-queue-phone.png', await page.screenshot({ fullPage: true }));
      const outcome = await confirmAction(page, waitingRow.getByTestId('ops-cancel'));
      await outcome.filter({ hasText: 'cancelled' }).waitFor();
      const final = await (await fetch(`${api.baseUrl}/api/tasks/${waiting.body.task_id}`)).json();
      assert.deepEqual([final.status, final.error_code, final.cancelled], ['failed', 'task_cancelled', true]);
      await waitingRow.waitFor({ state: 'detached' });
      await page.locator('[data-testid=ops-failures] tr[data-code=task_cancelled]').waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('pause makes uploads answer 503 with Retry-After; resume ends it', async () => {
    const { api, browser } = session;
    const { context, page, errors } = await newPage(browser);
    try {
      await openConsole(page, api.baseUrl);
      const state = page.getByTestId('ops-admissions-state');
      await page.locator('[data-testid=ops-admissions-state][data-state=open]').waitFor();
      await confirmAction(page, page.getByTestId('ops-pause'));
      await page.locator('[data-testid=ops-admissions-state][data-state=paused]').waitFor();
      assert.match((await state.textContent()) ?? '', /127\.0\.0\.1/);
      const refused = await upload(api.baseUrl);
      assert.deepEqual(
        [refused.status, refused.body.code, refused.body.error, refused.retryAfter],
        [503, 'admissions_paused', 'Not taking new tasks right now, retry later', '60'],
      );
      await confirmAction(page, page.getByTestId('ops-resume'));
      await page.locator('[data-testid=ops-admissions-state][data-state=open]').waitFor();
      const accepted = await upload(api.baseUrl);
      assert.equal(accepted.status, 202);
      assert.match(api.output(), /admissions paused by 127\.0\.0\.1/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a restart through the page brings the sidecar back: ready again, one restart more', async () => {
    const { api, browser } = session;
    // On a phone: the console must be usable there too (no sideways scrolling of the page).
    const { context, page, errors } = await newPage(browser, { viewport: PHONE_VIEWPORT, isMobile: true });
    try {
      await openConsole(page, api.baseUrl);
      await page.getByTestId('ops-worker').waitFor();
      assert.ok((await horizontalOverflow(page)) <= 0, 'no sideways scroll on a phone');
      const before = (await (await fetch(`${api.baseUrl}/api/health`)).json()).inference;
      const outcome = await confirmAction(page, page.getByTestId('ops-restart'));
      // Now, or once the job still running from the test before ends (then the console says so).
      await outcome
        .filter({
          hasText:
            /^The sidecar of \S+ · pid \d+ \(pid \d+\) restarts once its running job ends\.$|^Restarting on \S+ · pid \d+: the sidecar with pid \d+ is stopped and a new one starts\.$/,
        })
        .waitFor();
      const after = await waitFor(
        'the sidecar to be ready after its restart',
        async () => {
          const inference = (await (await fetch(`${api.baseUrl}/api/health`)).json()).inference;
          return inference.state === 'ready' && inference.restarts > before.restarts ? inference : undefined;
        },
        120_000,
      );
      assert.notEqual(after.pid, before.pid);
      await page.locator('[data-testid=ops-restarts]', { hasText: String(after.restarts) }).waitFor();
      await page.locator('[data-testid=ops-sidecar-state]', { hasText: 'ready' }).waitFor();
      await saveArtifact('ops-phone.png', await page.screenshot({ fullPage: true }));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('where ADMIN_TOKEN is unset the console says the routes are off, and they answer 404', async () => {
    const { api, browser } = session;
    const { startApi } = await apiSupport('api-process');
    apiOnly = await startApi({
      staticDir: api.staticDir,
      logDir: join(api.staticDir, '..', 'logs-api-only'),
      waitReady: false,
      env: { REDIS_URL, KILN_ROLE: 'api', WEB_DIR: join(ROOT, 'dist', 'web', 'browser') },
    });
    const { context, page } = await newPage(browser);
    try {
      await openConsole(page, apiOnly.url);
      await page.getByTestId('ops-off').waitFor();
      assert.equal(await page.getByTestId('ops-admissions').count(), 0);
      const response = await fetch(`${apiOnly.url}/api/admin/overview`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(response.status, 404);
    } finally {
      await context.close();
    }
  });
});
