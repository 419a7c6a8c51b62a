// Upload each kind of sample through the real page, follow the real queue and progress, and see
// the model drawn on the canvas. Client-side checks refuse bad files without a request.
/* global navigator, atob, DataTransfer, File, DragEvent, ClipboardEvent, MutationObserver -- used inside page.evaluate */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { SAMPLES_DIR, analyseViewer, newPage, saveArtifact, useApiAndBrowser } from './helpers.mjs';

const SAMPLES = [
  { file: 'typical_misc_lantern.png', kind: 'PNG with alpha' },
  { file: 'lantern_on_white.jpg', kind: 'JPEG' },
  { file: 'castle.webp', kind: 'WebP' },
];

describe('generate from the home page', () => {
  const app = useApiAndBrowser({ SIMULATE_SECONDS: '4' });

  for (const sample of SAMPLES) {
    test(`${sample.kind} (${sample.file}): progress, then a model on the canvas`, async () => {
      const { context, page, errors } = await newPage(app.browser);
      try {
        await page.goto(app.api.baseUrl);
        await page.locator('[data-testid=file-input]').setInputFiles(join(SAMPLES_DIR, sample.file));
        await page.locator('[data-testid=thumbnail]').waitFor();
        const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
        await page.locator('[data-testid=generate]').click();
        assert.equal((await accepted).status(), 202);

        // The live part: progress bar with a percent, a stage and the elapsed time.
        await page.locator('[data-testid=status-processing]').waitFor({ timeout: 30_000 });
        const percent = await page.locator('[data-testid=percent]').textContent();
        assert.match(percent ?? '', /^\s*\d{1,3}%\s*$/);
        assert.match((await page.locator('[data-testid=elapsed]').textContent()) ?? '', /\d+:\d\d/);
        await saveArtifact(`generate-${sample.file}-progress.png`, await page.screenshot());

        await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
        await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
        const view = await analyseViewer(page, `generate-${sample.file}-model.png`);
        assert.ok(
          view.fraction > 0.03 && view.fraction < 0.95,
          `model covers ${(view.fraction * 100).toFixed(1)}% of the canvas`,
        );
        assert.ok(
          !Object.values(view.touches).every(Boolean),
          `model clipped on all sides: ${JSON.stringify(view)}`,
        );

        // The download menu offers the model by its id (its GLB is the engine's source file);
        // the model lands in this browser's history.
        const menu = page.locator('kiln-download-menu');
        await menu.waitFor({ state: 'attached' });
        const modelId = await menu.getAttribute('data-model-id');
        assert.match(modelId ?? '', /^[0-9a-f-]{36}$/);
        const glb = await fetch(`${app.api.baseUrl}/api/models/${modelId}/download?format=glb`);
        assert.equal(glb.status, 200);
        await page.locator('[data-testid=history-entry]').first().waitFor();
        // No option was chosen (Options never opened): nothing is said of options the engine ignores.
        await page.locator('[data-testid=status-completed]').waitFor();
        assert.equal(await page.locator('[data-testid=ignored-options]').count(), 0);
        // The entry names the picture it was made from.
        assert.equal(
          (
            await page.locator('[data-testid=history-entry] [data-testid=history-name]').first().textContent()
          )?.trim(),
          sample.file,
        );
        // The entry's date is shown whole, not cut off (1280 px: two cards fitted in the column before).
        const date = page.locator('[data-testid=history-entry] .date').first();
        const cut = await date.evaluate(
          (el) => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight,
        );
        assert.equal(cut, false, `the date "${await date.textContent()}" is cut off`);
        await saveArtifact(`generate-${sample.file}-page.png`, await page.screenshot({ fullPage: true }));
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }

  test('a tab closed while its model is being made: another tab of the browser shows it being made, then lists the model', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      // Someone else's job ahead, so this one is still being made when the next tab opens.
      const ahead = new FormData();
      ahead.append('image', new Blob([readFileSync(join(SAMPLES_DIR, 'castle.webp'))]), 'ahead.webp');
      const aheadAnswer = await fetch(`${app.api.baseUrl}/api/generate`, { method: 'POST', body: ahead });
      assert.equal(aheadAnswer.status, 202);
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=file-input]').setInputFiles(join(SAMPLES_DIR, 'lantern_on_white.jpg'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      await page.locator('[data-testid=generate]').click();
      await page.locator('[data-testid=status-queued]').waitFor({ timeout: 30_000 });
      // The phone's tab swiped away: its sessionStorage (the task and its token) goes with it.
      await page.close();
      const later = await context.newPage();
      await later.goto(app.api.baseUrl);
      // Still being made: a link to watch it, named by its picture.
      const pending = later.locator('[data-testid=history-pending]');
      await pending.waitFor({ timeout: 20_000 });
      assert.match((await pending.textContent()) ?? '', /lantern_on_white\.jpg/);
      assert.match((await pending.locator('a').getAttribute('href')) ?? '', /^\/t\/[0-9a-f-]{36}$/);
      // Then its model, once the server says it is done (the page asks every 20 s while visible).
      const entry = later.locator('[data-testid=history-entry]', { hasText: 'lantern_on_white.jpg' });
      await entry.waitFor({ timeout: 60_000 });
      assert.equal(await later.locator('[data-testid=history-pending]').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a reload mid-task picks the task up without a false place in line and still names the picture; another tab lists the model', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      // A second tab of the same browser, open on the home page before the model exists.
      const other = await context.newPage();
      await other.goto(app.api.baseUrl);
      await other.locator('[data-testid=dropzone]').waitFor();
      const listedBefore = await other.locator('[data-testid=history-entry]').count();

      await page.locator('[data-testid=file-input]').setInputFiles(join(SAMPLES_DIR, 'castle.webp'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      await page.locator('[data-testid=generate]').click();
      await page.locator('[data-testid=status-processing]').waitFor({ timeout: 30_000 });
      // Every status text the reloaded page shows, however briefly.
      await page.addInitScript(() => {
        const seen = [];
        Object.defineProperty(window, 'kilnStatuses', { value: seen });
        new MutationObserver(() => {
          for (const element of document.querySelectorAll('[data-testid^=status-]')) {
            const text = element.textContent?.trim() ?? '';
            if (text && seen.at(-1) !== text) seen.push(text);
          }
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      await page.reload();
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      const statuses = await page.evaluate(() => window.kilnStatuses);
      // The task was being made when the page reloaded: it never waited in line again.
      assert.ok(
        statuses.every((text) => !/Next in line|Waiting in line/.test(text)),
        `statuses after the reload: ${JSON.stringify(statuses)}`,
      );
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      // The picture is gone with the reload; its name is not.
      assert.match(
        (await page.locator('[data-testid=viewer-description]').textContent()) ?? '',
        /made from the picture castle\.webp/,
      );
      // The other tab hears of the new model through localStorage, without a reload.
      await other.waitForFunction(
        (before) => document.querySelectorAll('[data-testid=history-entry]').length > before,
        listedBefore,
        { timeout: 20_000 },
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the maker copies a link to watch; a stranger who opens it sees the model being made, then the model, and cannot cancel it', async () => {
    const { context, page, errors } = await newPage(app.browser);
    const stranger = await newPage(app.browser);
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.api.baseUrl });
      await page.goto(app.api.baseUrl);
      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_vehicle_helicopter.png'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
      await page.locator('[data-testid=generate]').click();
      const answer = await (await accepted).json();
      assert.equal(answer.watch_url, `${app.api.baseUrl}/t/${answer.task_id}`);
      await page.locator('[data-testid=copy-watch-link]').click();
      await page.locator('[data-testid=watch-note]').waitFor();
      const link = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(link, answer.watch_url, "the server's watch_url is what is copied");

      await stranger.page.goto(link);
      const status = stranger.page.locator(
        '[data-testid=status-queued], [data-testid=status-processing], [data-testid=status-completed]',
      );
      await status.first().waitFor({ timeout: 30_000 });
      await stranger.page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      // Made: the document's title follows the heading ("Shared model"), not the route (WCAG 2.4.2).
      await stranger.page.waitForFunction(() => document.title === 'Kiln3D: Shared model');
      // The status takes the focus (for a screen reader), but a visitor who never touched the
      // page sees no focus ring on it.
      await stranger.page.waitForFunction(() =>
        document.activeElement?.matches('[data-testid=status-completed]'),
      );
      assert.equal(
        await stranger.page.evaluate(
          () => document.defaultView.getComputedStyle(document.activeElement).outlineStyle,
        ),
        'none',
        'no focus ring on the status of an untouched watch page',
      );
      await stranger.page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      assert.equal(
        (await stranger.page.locator('[data-testid=watch-heading]').textContent())?.trim(),
        'Shared model',
      );
      await stranger.page.locator('[data-testid=make-your-own]').waitFor();
      // Read only: nothing on the page changes the task, and the maker's page finishes as ever.
      assert.equal(await stranger.page.getByRole('button', { name: 'Cancel' }).count(), 0);
      assert.equal(await stranger.page.locator('[data-testid=copy-watch-link]').count(), 0);
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      // Not a task id: said so, nothing followed.
      await stranger.page.goto(`${app.api.baseUrl}/t/not-a-task`);
      await stranger.page.locator('[data-testid=watch-bad-id]').waitFor();
      assert.deepEqual(stranger.errors, []);
      // A well-formed id the server does not know: no "being made" heading, a way on (its 404s
      // are the only errors of the page).
      await stranger.page.goto(`${app.api.baseUrl}/t/00000000-0000-4000-8000-000000000000`);
      await stranger.page
        .locator('[data-testid=watch-heading]', { hasText: 'Nothing to watch here' })
        .waitFor({ timeout: 20_000 });
      await stranger.page.locator('[data-testid=make-your-own]').click();
      await stranger.page.locator('[data-testid=dropzone]').waitFor();
      assert.deepEqual(errors, []);
      assert.deepEqual(
        stranger.errors.filter((error) => !/status of 404/.test(error)),
        [],
      );
    } finally {
      await context.close();
      await stranger.context.close();
    }
  });

  test('the first paint of the home page does not load three.js (the viewer chunk is lazy)', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      const scripts = [];
      page.on('response', (r) => r.url().endsWith('.js') && scripts.push(r));
      await page.goto(app.api.baseUrl, { waitUntil: 'networkidle' });
      await page.locator('[data-testid=dropzone]').waitFor();
      const bodies = await Promise.all(scripts.map((r) => r.text()));
      assert.ok(bodies.length > 0);
      assert.equal(bodies.filter((body) => body.includes('THREE.WebGLRenderer')).length, 0);
      const initialBytes = bodies.reduce((sum, body) => sum + body.length, 0);
      console.log(
        `home page scripts: ${bodies.length} files, ${(initialBytes / 1024).toFixed(0)} KiB uncompressed`,
      );
    } finally {
      await context.close();
    }
  });

  test('a picture can also be dropped on the page or pasted from the clipboard', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      const sendInPage = async (eventName, file) => {
        const bytes = readFileSync(join(SAMPLES_DIR, file)).toString('base64');
        await page.evaluate(
          ([eventName, bytes, file]) => {
            const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([data], file));
            const target = document.querySelector('[data-testid=dropzone]');
            if (eventName === 'drop') {
              target.dispatchEvent(
                new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }),
              );
              target.dispatchEvent(
                new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
              );
            } else {
              document.body.dispatchEvent(
                new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }),
              );
            }
          },
          [eventName, bytes, file],
        );
      };
      await sendInPage('drop', 'castle.webp');
      const thumbnail = page.locator('[data-testid=thumbnail]');
      await thumbnail.waitFor();
      const dropped = await thumbnail.getAttribute('src');
      await sendInPage('paste', 'lantern_on_white.jpg');
      await page.waitForFunction(
        (before) => document.querySelector('[data-testid=thumbnail]')?.getAttribute('src') !== before,
        dropped,
      );
      assert.equal(await page.locator('[data-testid=upload-error]').count(), 0);
      const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
      await page.locator('[data-testid=generate]').click();
      assert.equal((await accepted).status(), 202);
      await page.locator('[data-testid=status-completed]').waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('refuses a file that is not a picture, judged by its bytes, without sending it', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      const posts = [];
      page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=file-input]').setInputFiles({
        name: 'looks-like.png',
        mimeType: 'image/png',
        buffer: Buffer.from('GIF89a this is not one of ours'),
      });
      const error = page.locator('[data-testid=upload-error]');
      await error.waitFor();
      assert.equal(await error.getAttribute('data-error-code'), 'unsupported_image');
      assert.equal(await page.locator('[data-testid=generate]').count(), 0);
      assert.deepEqual(posts, []);
    } finally {
      await context.close();
    }
  });

  test('a file that only starts like a PNG passes the page, and the server refusal is explained', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      await page.locator('[data-testid=file-input]').setInputFiles({
        name: 'broken.png',
        mimeType: 'image/png',
        buffer: Buffer.concat([signature, Buffer.from('not really a picture '.repeat(50))]),
      });
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
      await page.locator('[data-testid=generate]').click();
      assert.equal((await answer).status(), 400);
      const failed = page.locator('[data-testid=status-failed]');
      await failed.waitFor();
      assert.equal(await failed.getAttribute('data-error-code'), 'unsupported_image');
      assert.match((await failed.textContent()) ?? '', /not a JPG, PNG or WebP picture/);
      // Sending the same bytes again would fail the same way: no retry is offered.
      assert.equal(await page.locator('[data-testid=retry]').count(), 0);
    } finally {
      await context.close();
    }
  });

  test('refuses a file over 10 MB that only starts like a JPEG with the server message, without sending it', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      const posts = [];
      page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
      await page.goto(app.api.baseUrl);
      // A real picture over the limit is scaled in the browser (phone-photos.test.mjs); one the
      // browser cannot decode cannot be, and is refused as the server would.
      const big = Buffer.alloc(10 * 1024 * 1024 + 1);
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(big);
      await page.locator('[data-testid=file-input]').setInputFiles({
        name: 'huge.jpg',
        mimeType: 'image/jpeg',
        buffer: big,
      });
      const error = page.locator('[data-testid=upload-error]');
      await error.waitFor();
      assert.equal(await error.getAttribute('data-error-code'), 'file_too_large');
      assert.match((await error.textContent()) ?? '', /10 MB/);
      assert.deepEqual(posts, []);
    } finally {
      await context.close();
    }
  });
});
