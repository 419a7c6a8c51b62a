/* global XMLHttpRequest -- used inside page.evaluate */
// The live preview: while the simulate engine runs, the viewer draws the task's voxels (coloured
// from the picture) before `completed`, then the finished model takes their place without the
// camera moving: the model lands where the voxels were.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { SAMPLES_DIR, analyseViewer, newPage, useApiAndBrowser } from './helpers.mjs';

describe('live voxel preview', () => {
  // Long enough that the previews (at 30% and 60%) stay on screen for seconds, even when software
  // GL on a busy machine takes seconds to draw the first frame.
  // 40 s: the preview must show before the job ends even when SwiftShader draws beside other test lanes.
  const app = useApiAndBrowser({ SIMULATE_SECONDS: '40' });

  test('voxels on the canvas before completed, then the model in their place', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      const previewFetches = [];
      page.on('response', (r) => {
        if (/\/api\/tasks\/[0-9a-f-]{36}\/preview\?rev=\d+$/.test(r.url())) previewFetches.push(r);
      });
      await page.goto(app.api.baseUrl);
      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      // The options panel starts closed; a seed chosen there goes with the picture. The simulate
      // engine uses the seed alone: the rest is greyed out and named (GET /api/qualities).
      const options = page.locator('[data-testid=options]');
      assert.equal(await options.evaluate((details) => details.open), false);
      await options.locator('summary').click();
      // Opening it asks GET /api/qualities: each preset names its expected time on this GPU.
      await page.waitForFunction(
        () =>
          /about \d+ s/.test(
            document.querySelector('[data-testid=option-quality] option[value=fast]')?.textContent ?? '',
          ),
        null,
        { polling: 100, timeout: 10_000 },
      );
      await page
        .locator('[data-testid=unused-options]', {
          hasText: "This server's engine does not use: quality, texture size, faces.",
        })
        .waitFor();
      assert.deepEqual(
        await Promise.all(
          ['quality', 'seed', 'texture-size', 'faces'].map((name) =>
            page.locator(`[data-testid=option-${name}]`).isDisabled(),
          ),
        ),
        [true, false, true, true],
      );
      await page.locator('[data-testid=option-seed]').fill('7');
      // The form's field names, as the upload sends them.
      await page.evaluate(() => {
        const send = XMLHttpRequest.prototype.send;
        XMLHttpRequest.prototype.send = function (body) {
          if (body instanceof FormData) window.kilnSentFields = [...body.keys()];
          return send.call(this, body);
        };
      });
      const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
      await page.locator('[data-testid=generate]').click();
      const taskId = (await (await accepted).json()).task_id;
      // Only the seed goes with the picture: a greyed-out field is not sent, though it holds a value.
      assert.deepEqual((await page.evaluate(() => window.kilnSentFields)).sort(), ['image', 'seed']);

      // Polled on a timer: rAF-paced polling lags behind while software GL draws the frames.
      await page.waitForFunction(
        () => document.querySelector('kiln-model-viewer')?.getAttribute('data-state') === 'preview',
        null,
        { polling: 100, timeout: 60_000 },
      );
      // Still being made while the voxels are drawn.
      assert.equal(await page.locator('[data-testid=status-completed]').count(), 0, 'completed too early');
      assert.equal(await page.locator('[data-testid=status-processing]').count(), 1);
      // The caption overlays the canvas's foot: hidden for the measurement, which is of the canvas.
      const caption = page.locator('[data-testid=preview-caption]');
      assert.equal(await caption.count(), 1);
      await caption.evaluate((element) => (element.style.visibility = 'hidden'));
      const voxels = await analyseViewer(page, 'preview-voxels.png');
      // The viewer still showed the preview after the screenshot, so the picture is of the voxels.
      assert.equal(await page.locator('kiln-model-viewer').getAttribute('data-state'), 'preview');
      // Nothing to download yet: no download menu.
      assert.equal(await page.locator('kiln-download-menu').count(), 0);
      assert.ok(voxels.fraction > 0.02, `voxels cover ${(voxels.fraction * 100).toFixed(1)}% of the canvas`);
      assert.ok(!Object.values(voxels.touches).every(Boolean), `voxels clipped: ${JSON.stringify(voxels)}`);
      assert.ok(previewFetches.length >= 1);
      assert.equal(previewFetches[0].status(), 200);
      assert.equal(await previewFetches[0].headerValue('x-preview-encoding'), 'xyz8');

      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      const download = page.locator('kiln-download-menu');
      // Once seen to time out under load (npm test, two browsers): the page's errors say why.
      await download.waitFor({ state: 'attached' }).catch((error) => {
        throw new Error(`${String(error)}\npage errors: ${JSON.stringify(errors)}`);
      });
      assert.match(String(await download.getAttribute('data-model-id')), /^[0-9a-f-]{36}$/);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const model = await analyseViewer(page, 'preview-model.png');
      assert.ok(model.fraction > 0.02);
      // No jump: the model's outline on screen is where the voxels' was (within a tenth of the canvas).
      const tolerance = 0.1 * Math.max(model.width, model.height);
      for (const side of ['minX', 'minY', 'maxX', 'maxY']) {
        assert.ok(
          Math.abs(model.box[side] - voxels.box[side]) <= tolerance,
          `${side}: voxels ${voxels.box[side]}, model ${model.box[side]}`,
        );
      }

      // "New variation": the same picture and options, another seed.
      const first = await (await fetch(`${app.api.baseUrl}/api/tasks/${taskId}`)).json();
      assert.deepEqual(first.options, { quality: 'balanced', seed: 7, texture_size: 2048, faces: 500000 });
      const again = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
      await page.locator('[data-testid=variation]').click();
      const variationId = (await (await again).json()).task_id;
      const variation = await (await fetch(`${app.api.baseUrl}/api/tasks/${variationId}`)).json();
      assert.equal(variation.options.quality, 'balanced');
      assert.notEqual(variation.options.seed, 7, 'a new seed');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
