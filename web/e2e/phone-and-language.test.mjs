// A phone in portrait (390x844): no sideways scrolling, controls on screen, the whole flow works
// with touch, AR offered on Android. Language from the browser, switchable. Keyboard reachable.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  PHONE_VIEWPORT,
  SAMPLES_DIR,
  analyseViewer,
  horizontalOverflow,
  newPage,
  saveArtifact,
  useApiAndBrowser,
  visibleInViewport,
} from './helpers.mjs';

const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const PHONE = {
  viewport: PHONE_VIEWPORT,
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: ANDROID_UA,
  locale: 'en-US',
};

/** How much of the element is inside the window now (0-1), without scrolling to it. */
const shownFraction = (locator) =>
  locator.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    const width = Math.max(0, Math.min(rect.right, window.innerWidth) - Math.max(rect.left, 0));
    const height = Math.max(0, Math.min(rect.bottom, window.innerHeight) - Math.max(rect.top, 0));
    return rect.width * rect.height > 0 ? (width * height) / (rect.width * rect.height) : 0;
  });

describe('phone layout, language and keyboard', () => {
  const app = useApiAndBrowser({ SIMULATE_SECONDS: '3' });

  test('a phone in portrait: the whole flow fits the width and its controls are on screen', async () => {
    const { context, page, errors } = await newPage(app.browser, PHONE);
    try {
      await page.goto(app.api.baseUrl);
      assert.ok((await horizontalOverflow(page)) <= 0, 'home page scrolls sideways');
      assert.ok(await visibleInViewport(page.getByRole('button', { name: 'Choose a picture' })));
      assert.ok(await visibleInViewport(page.getByRole('button', { name: 'Take a photo' })));
      assert.equal(await page.locator('input[capture=environment][accept="image/*"]').count(), 1);
      await saveArtifact('phone-home.png', await page.screenshot({ fullPage: true }));

      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
      const generate = page.locator('[data-testid=generate]');
      assert.ok(await visibleInViewport(generate));
      await generate.tap();
      await page.locator('[data-testid=status-processing], [data-testid=status-queued]').first().waitFor();
      assert.ok((await horizontalOverflow(page)) <= 0, 'progress scrolls sideways');
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor();
      assert.ok((await horizontalOverflow(page)) <= 0, 'viewer scrolls sideways');
      // Nothing here scrolled since the tap: the page brought the progress to the top, with the
      // model under it, both in view.
      assert.equal(
        await shownFraction(page.locator('[data-testid=status-completed]')),
        1,
        'Done is off screen',
      );
      const canvas = await shownFraction(page.locator('kiln-model-viewer canvas'));
      assert.equal(canvas, 1, `${(canvas * 100).toFixed(0)} % of the canvas is on screen`);

      const view = await analyseViewer(page, 'phone-model.png');
      assert.ok(view.fraction > 0.03 && view.fraction < 0.95, `model covers ${view.fraction}`);
      for (const name of ['Reset view', 'Auto-rotate', 'Wireframe', 'Copy share link', 'View in AR']) {
        assert.ok(await visibleInViewport(page.getByRole('button', { name })), `${name} not on screen`);
      }
      assert.ok(await visibleInViewport(page.getByRole('button', { name: 'Download', exact: true })));
      await saveArtifact('phone-model-page.png', await page.screenshot({ fullPage: true }));

      // Toggles report their state to assistive technology and redraw the model.
      const wireframe = page.getByRole('button', { name: 'Wireframe' });
      await wireframe.tap();
      await page.locator('kiln-model-viewer button[aria-pressed=true]', { hasText: 'Wireframe' }).waitFor();
      const wired = await analyseViewer(page, 'phone-wireframe.png');
      assert.ok(Math.abs(wired.fraction - view.fraction) > 0.001, 'wireframe changed nothing');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a phone held sideways: the progress and then the model are on screen together, without scrolling by hand', async () => {
    const { context, page, errors } = await newPage(app.browser, {
      ...PHONE,
      viewport: { width: PHONE_VIEWPORT.height, height: PHONE_VIEWPORT.width },
    });
    try {
      await page.goto(app.api.baseUrl);
      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
      await page.locator('[data-testid=generate]').tap();
      // The progress scrolls itself into view as it appears (nothing here scrolls).
      await page.waitForFunction(
        () => {
          const rect = document.querySelector('kiln-progress-panel .status')?.getBoundingClientRect();
          return rect !== undefined && rect.height > 0 && rect.top >= 0 && rect.bottom <= window.innerHeight;
        },
        null,
        { timeout: 10_000 },
      );
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor();
      // Narrower buttons on a short screen: the six tools take two rows, not three.
      await page.locator('kiln-model-viewer .toolbar[data-rows="2"]').waitFor();
      // Both at once: the model beside its "Done" line. The viewer's column (canvas, two rows of
      // touch targets, "New variation") is about as tall as the screen: when the viewer appeared
      // the page scrolled back up to it as far as the status line allowed (59 % shown, once, before).
      assert.equal(await shownFraction(page.locator('[data-testid=status-completed]')), 1);
      const canvas = await shownFraction(page.locator('kiln-model-viewer canvas'));
      console.log(
        `a phone held sideways: ${(canvas * 100).toFixed(0)} % of the canvas on screen beside "Done"`,
      );
      assert.ok(canvas >= 0.75, `${(canvas * 100).toFixed(0)} % of the canvas is on screen`);
      assert.ok((await horizontalOverflow(page)) <= 0, 'the page scrolls sideways');
      await saveArtifact('phone-landscape-model.png', await page.screenshot());
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('Chinese from the browser language, switchable to English and back, on a phone', async () => {
    const { context, page } = await newPage(app.browser, { ...PHONE, locale: 'zh-CN' });
    try {
      await page.goto(app.api.baseUrl);
      await page.getByRole('button', { name: '选择图片' }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
      assert.match(await page.title(), /一张图片生成 3D 模型/);
      assert.ok((await horizontalOverflow(page)) <= 0);
      await saveArtifact('phone-zh.png', await page.screenshot({ fullPage: true }));

      await page.locator('[data-testid=lang]').selectOption('en');
      await page.getByRole('button', { name: 'Choose a picture' }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
      assert.match(await page.title(), /one picture to a 3D model/);
      // The choice is remembered over the browser's language.
      await page.reload();
      await page.getByRole('button', { name: 'Choose a picture' }).waitFor();
      await page.locator('[data-testid=lang]').selectOption('zh');
      await page.getByRole('button', { name: '选择图片' }).waitFor();

      // Client-side refusals speak the page's language too.
      await page.locator('[data-testid=file-input]').setInputFiles({
        name: 'notes.png',
        mimeType: 'image/png',
        buffer: Buffer.from('plain text'),
      });
      const error = page.locator('[data-testid=upload-error]');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /不是 JPG、PNG 或 WebP/);
    } finally {
      await context.close();
    }
  });

  test('keyboard: the picker, the language and the viewer controls are reachable and labelled', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      // Listen before anything happens: Playwright turns file-chooser interception on
      // asynchronously when the first listener appears, and a key press that beats it opens a
      // native chooser that never reaches the test (seen once under load).
      const chooser = page.waitForEvent('filechooser', { timeout: 90_000 });
      await page.goto(app.api.baseUrl);
      const reached = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Tab');
        reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
        if (reached.at(-1) === 'Choose a picture') break;
      }
      assert.equal(reached.at(-1), 'Choose a picture', `tab order: ${JSON.stringify(reached)}`);
      await page.keyboard.press('Enter');
      await (await chooser).setFiles(join(SAMPLES_DIR, 'castle.webp'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      await page.keyboard.press('Tab');
      // Next stops: camera button is hidden with a fine pointer, so focus lands on Generate.
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
        'generate',
      );
      await page.keyboard.press('Enter');
      // Generate gave way to the progress: focus goes to what the page says now, not to the page's start.
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '');
      await page.waitForFunction(
        () => /^status-/.test(document.activeElement?.getAttribute('data-testid') ?? ''),
        null,
        { timeout: 10_000 },
      );
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor();
      await page.locator('[data-testid=status-completed]').waitFor();
      await page.waitForFunction(
        () => document.activeElement?.getAttribute('data-testid') === 'status-completed',
        null,
        { timeout: 10_000 },
      );
      assert.equal(await focused(), 'status-completed');
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('button, a[href], select, canvas[tabindex]')]
          .filter((el) => !(el.getAttribute('aria-label') || el.textContent?.trim() || el.closest('label')))
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      assert.deepEqual(unlabelled, []);
    } finally {
      await context.close();
    }
  });
});
