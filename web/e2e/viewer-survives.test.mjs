/* global requestAnimationFrame -- used inside the page */
// The viewer on the phone it is used on (issue 21): it survives a lost WebGL context (iOS
// switching tabs, memory pressure, a GPU reset) and draws the same model again, with the camera
// where it was and without fetching it again; its toolbar fits a 360 px phone and a desktop in
// balanced rows of touch-sized buttons, and is one Tab stop with arrow keys between its buttons.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import sharp from 'sharp';

import {
  CANVAS_ONLY,
  apiSupport,
  horizontalOverflow,
  newPage,
  reportGpuRenderer,
  saveArtifact,
  useApiAndBrowser,
  visibleInViewport,
} from './helpers.mjs';

const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
/** A small phone in portrait (the width the issue names), Android: the AR button shows too. */
const PHONE_360 = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: ANDROID_UA,
};
const DESKTOP = { viewport: { width: 1280, height: 800 } };

/** The canvas as RGB pixels, after damping settled and the last frame landed. */
async function canvasPixels(page, name) {
  await page.waitForTimeout(600);
  const png = await page.locator('kiln-model-viewer canvas').screenshot({ style: CANVAS_ONLY });
  await saveArtifact(name, png);
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function hexToRgb(hex) {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * How much of `before`'s model `after` shows again, the same: of the pixels that differ from the
 * background in either picture, the share that are model in both and of nearly the same colour
 * (a model lit by a black environment map would be model, but dark: not the same).
 */
function sameModel(before, after, background) {
  assert.equal(after.width, before.width);
  assert.equal(after.height, before.height);
  const isModel = (data, i) =>
    Math.max(
      Math.abs(data[i] - background[0]),
      Math.abs(data[i + 1] - background[1]),
      Math.abs(data[i + 2] - background[2]),
    ) > 12;
  let union = 0;
  let same = 0;
  for (let i = 0; i < before.data.length; i += 3) {
    const a = isModel(before.data, i);
    const b = isModel(after.data, i);
    if (!a && !b) continue;
    union++;
    const close =
      Math.max(
        Math.abs(before.data[i] - after.data[i]),
        Math.abs(before.data[i + 1] - after.data[i + 1]),
        Math.abs(before.data[i + 2] - after.data[i + 2]),
      ) <= 24;
    if (a && b && close) same++;
  }
  return { modelPixels: union, same: union === 0 ? 0 : same / union };
}

/** The toolbar's buttons (and links) as laid out: label, box, tabindex; the download panel's are not. */
function toolbarButtons(page) {
  return page.locator('kiln-model-viewer .toolbar[role=toolbar]').evaluate((toolbar) =>
    [...toolbar.querySelectorAll('button, a[href]')]
      .filter((element) => !element.closest('[role=group]'))
      .map((element) => {
        const rect = element.getBoundingClientRect();
        return {
          label: element.getAttribute('aria-label') || element.textContent.trim(),
          left: rect.left,
          top: rect.top,
          right: rect.right,
          bottom: rect.bottom,
          width: rect.width,
          height: rect.height,
          tabIndex: element.tabIndex,
        };
      }),
  );
}

/** Buttons grouped into rows by their top edge (a pixel or two of rounding apart). */
function rowsOf(buttons) {
  const rows = [];
  for (const button of [...buttons].sort((a, b) => a.top - b.top || a.left - b.left)) {
    const row = rows.find((r) => Math.abs(r[0].top - button.top) <= 2);
    if (row) row.push(button);
    else rows.push([button]);
  }
  return rows;
}

/** The model page, ready, with its (deferred) download menu in the toolbar and the rows laid out. */
async function openModel(page, baseUrl, id) {
  await page.goto(`${baseUrl}/m/${id}`);
  await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=download-toggle]').waitFor();
  // BalancedRows lays out in the frame after a change: two frames and it has.
  await twoFrames(page);
}

/** Resolves once the page has drawn two more frames. */
async function twoFrames(page) {
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}

describe('viewer on the phone it is used on', () => {
  const app = useApiAndBrowser();
  let modelId;
  let gridId;

  before(async () => {
    // A colourful textured grid: its texture, and the light the environment map gives it, must
    // both come back with the context (a black environment or a lost texture shows at once).
    const { texturedGridGlb } = await apiSupport('glb-models');
    gridId = randomUUID();
    const grid = await texturedGridGlb({ cells: 24, textureSize: 256 });
    // The web copy and the original the download menu offers, as the api writes them.
    // Every model the api makes has a LOD beside it (issue 21): the share page asks for it first.
    for (const name of [`${gridId}.glb`, `${gridId}.lod.glb`, `${gridId}.source.glb`]) {
      writeFileSync(join(app.api.staticDir, name), grid);
    }
    // The same light model for the toolbar: its tests are about the buttons.
    modelId = gridId;
  });

  test('a lost WebGL context comes back drawing the same model, camera unchanged, nothing refetched', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      // The environment map a GPU gets must come back too (a software renderer has none).
      await reportGpuRenderer(context);
      const modelRequests = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname.endsWith('.glb')) modelRequests.push(request.url());
      });
      await openModel(page, app.api.baseUrl, gridId);
      const viewer = page.locator('kiln-model-viewer');
      await page.locator('kiln-model-viewer[data-level=full][data-lighting=environment]').waitFor();
      await twoFrames(page);
      assert.equal(await viewer.getAttribute('data-context'), 'live');
      assert.equal(await viewer.getAttribute('data-restores'), '0');
      const background = hexToRgb(await viewer.locator('canvas').getAttribute('data-background'));
      const camera = await viewer.getAttribute('data-camera');
      assert.ok(camera, 'no data-camera');
      const drawn = await canvasPixels(page, 'context-before.png');
      // A marker that a reload would wipe.
      await page.evaluate(() => (window.kilnNoReload = true));

      const started = Date.now();
      await page.evaluate(() => {
        const gl = document.querySelector('kiln-model-viewer canvas').getContext('webgl2');
        window.kilnLoseContext = gl.getExtension('WEBGL_lose_context');
        window.kilnLoseContext.loseContext();
      });
      await page.locator('kiln-model-viewer[data-context=lost]').waitFor();
      await page.locator('[data-testid=context-lost]').waitFor();
      assert.match(await page.locator('[data-testid=context-lost]').textContent(), /Restoring the view/);
      // The check below can tell: with the context gone, the model is not on the canvas.
      const gone = sameModel(drawn, await canvasPixels(page, 'context-lost.png'), background);
      assert.ok(gone.same < 0.5, `the lost canvas still looks drawn: ${JSON.stringify(gone)}`);

      await page.evaluate(() => window.kilnLoseContext.restoreContext());
      await page.locator('kiln-model-viewer[data-context=live][data-restores="1"]').waitFor();
      console.log(`context restored and drawn ${Date.now() - started} ms after the loss (SwiftShader)`);
      await page.locator('[data-testid=context-lost]').waitFor({ state: 'detached' });
      const again = sameModel(drawn, await canvasPixels(page, 'context-restored.png'), background);
      assert.ok(again.modelPixels > 1000, `too little model to compare: ${JSON.stringify(again)}`);
      // Same pixels, same colours: geometry, textures and the environment's light are all back.
      assert.ok(again.same > 0.95, `not drawn the same after the restore: ${JSON.stringify(again)}`);
      assert.equal(await viewer.getAttribute('data-camera'), camera);
      assert.equal(await viewer.getAttribute('data-state'), 'ready');
      assert.equal(await page.evaluate(() => window.kilnNoReload), true, 'the page was reloaded');
      assert.equal(
        modelRequests.length,
        2,
        `model requests (the LOD, then the model; none again): ${modelRequests.join(' ')}`,
      );

      // A context that stays away: after a while a reload is offered; should it come back
      // after all, the view does too.
      await page.evaluate(() => window.kilnLoseContext.loseContext());
      await page.locator('kiln-model-viewer[data-context=stalled]').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Reload the page' }).waitFor();
      await page.evaluate(() => window.kilnLoseContext.restoreContext());
      await page.locator('kiln-model-viewer[data-context=live][data-restores="2"]').waitFor();
      const late = sameModel(drawn, await canvasPixels(page, 'context-restored-late.png'), background);
      assert.ok(late.same > 0.95, `not drawn the same after a late restore: ${JSON.stringify(late)}`);
      assert.equal(
        modelRequests.length,
        2,
        `model requests (the LOD, then the model; none again): ${modelRequests.join(' ')}`,
      );

      // The view still answers: turning it (auto-rotate) draws new frames after the restore.
      await page.getByRole('button', { name: 'Auto-rotate' }).click();
      await page.waitForTimeout(800);
      const turned = sameModel(drawn, await canvasPixels(page, 'context-turned.png'), background);
      assert.ok(turned.same < again.same, `auto-rotate did not draw: ${JSON.stringify(turned)}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  /** Every toolbar button on screen, in rows of two or more, touch-sized on a phone. */
  async function assertToolbarFits(page, label, phone) {
    const toolbar = page.locator('kiln-model-viewer .toolbar[role=toolbar]');
    const buttons = await toolbarButtons(page);
    // Reset, Auto-rotate, Wireframe, Copy share link, (View in AR on Android), Download.
    assert.equal(buttons.length, phone ? 6 : 5, JSON.stringify(buttons.map((b) => b.label)));
    const all = toolbar.locator('button, a[href]');
    for (let i = 0; i < buttons.length; i++) {
      assert.ok(await visibleInViewport(all.nth(i)), `${label}: ${buttons[i].label} is not on screen`);
    }
    assert.ok((await horizontalOverflow(page)) <= 0, `${label}: the page scrolls sideways`);
    // Measured after the scrolling above, all in one go.
    const rows = rowsOf(await toolbarButtons(page));
    const shape = rows.map((row) => row.map((b) => `${b.label} ${Math.round(b.width)}`));
    console.log(`toolbar on ${label}: ${JSON.stringify(shape)}`);
    for (const row of rows) {
      assert.ok(row.length >= 2, `${label}: a button alone on a row: ${JSON.stringify(shape)}`);
    }
    if (phone) {
      for (const button of buttons) {
        assert.ok(
          button.width >= 44 && button.height >= 44,
          `${label}: ${button.label} is ${button.width} x ${button.height} px`,
        );
      }
    }
    await saveArtifact(`toolbar-${label}.png`, await page.screenshot({ fullPage: true }));
  }

  /** The download panel opens on a line of its own under the buttons, as wide as the toolbar. */
  async function assertPanelFits(page, label) {
    const buttons = await toolbarButtons(page);
    await page.locator('[data-testid=download-toggle]').click();
    const panel = page.locator('[data-testid=download-menu]');
    await panel.waitFor();
    const panelBox = await panel.boundingBox();
    const toolbarBox = await page.locator('kiln-model-viewer .toolbar[role=toolbar]').boundingBox();
    assert.ok(
      Math.abs(panelBox.width - toolbarBox.width) <= 1,
      `${label}: panel ${panelBox.width} of ${toolbarBox.width}`,
    );
    assert.ok(
      panelBox.y >= Math.max(...buttons.map((b) => b.bottom)) - 1,
      `${label}: the panel is not under the buttons`,
    );
    assert.ok((await horizontalOverflow(page)) <= 0, `${label}: the open menu scrolls sideways`);
  }

  test('the toolbar on a 360 px phone, in English then Chinese: on screen, balanced rows, touch-sized', async () => {
    const { context, page, errors } = await newPage(app.browser, { ...PHONE_360, locale: 'en-US' });
    try {
      await openModel(page, app.api.baseUrl, modelId);
      await assertToolbarFits(page, '360 px phone', true);
      // Other labels, other widths: the rows are laid out again.
      await page.locator('[data-testid=lang]').selectOption('zh');
      await page.getByRole('button', { name: '重置视角' }).waitFor();
      await twoFrames(page);
      await assertToolbarFits(page, '360 px phone in Chinese', true);
      await assertPanelFits(page, '360 px phone in Chinese');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the toolbar on a 1280 px desktop: one row; one Tab stop, arrow keys, Home and End; + and - zoom the canvas, Shift + arrows turn it', async () => {
    const { context, page, errors } = await newPage(app.browser, DESKTOP);
    try {
      await openModel(page, app.api.baseUrl, modelId);
      await assertToolbarFits(page, '1280 px desktop', false);
      const stops = (await toolbarButtons(page)).filter((b) => b.tabIndex === 0);
      assert.deepEqual(
        stops.map((b) => b.label),
        ['Reset view'],
      );
      // The focused canvas zooms with + and - (the camera's distance to its target, data-camera).
      const viewer = page.locator('kiln-model-viewer');
      const distance = async () => {
        const [position, target] = ((await viewer.getAttribute('data-camera')) ?? '')
          .split(' ')
          .map((triple) => triple.split(',').map(Number));
        return Math.hypot(...position.map((p, i) => p - target[i]));
      };
      await page.locator('kiln-model-viewer canvas').focus();
      const before = await distance();
      await page.keyboard.press('+');
      await page.keyboard.press('+');
      for (let waited = 0; (await distance()) > before * 0.7 && waited < 5000; waited += 100) {
        await page.waitForTimeout(100);
      }
      const closer = await distance();
      assert.ok(closer < before * 0.7, `+ + on the canvas: distance ${before} -> ${closer}`);
      await page.keyboard.press('-');
      for (let waited = 0; (await distance()) <= closer * 1.1 && waited < 5000; waited += 100) {
        await page.waitForTimeout(100);
      }
      assert.ok(
        (await distance()) > closer * 1.1,
        `- on the canvas: distance ${closer} -> ${await distance()}`,
      );
      // Shift + an arrow turns the view by a visible step (three's default is 0.3° a press).
      const azimuth = async () => {
        const [position, target] = ((await viewer.getAttribute('data-camera')) ?? '')
          .split(' ')
          .map((triple) => triple.split(',').map(Number));
        return (Math.atan2(position[0] - target[0], position[2] - target[2]) * 180) / Math.PI;
      };
      const facing = await azimuth();
      await page.keyboard.press('Shift+ArrowLeft');
      for (let waited = 0; Math.abs((await azimuth()) - facing) < 3 && waited < 5000; waited += 100) {
        await page.waitForTimeout(100);
      }
      const turned = Math.abs((await azimuth()) - facing);
      assert.ok(turned >= 3 && turned < 30, `Shift+ArrowLeft turned the view ${turned}°`);
      // Tab from the canvas lands once on the zoom and turn buttons, then once on the toolbar.
      await page.locator('kiln-model-viewer canvas').focus();
      await page.keyboard.press('Tab');
      const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Zoom in');
      await page.keyboard.press('Tab');
      assert.equal(await focused(), 'Reset view');
      await page.keyboard.press('ArrowRight');
      assert.equal(await focused(), 'Auto-rotate');
      await page.keyboard.press('End');
      assert.match(await focused(), /^Download/);
      await page.keyboard.press('ArrowRight');
      assert.equal(await focused(), 'Reset view');
      await page.keyboard.press('ArrowLeft');
      assert.match(await focused(), /^Download/);
      await page.keyboard.press('Home');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      assert.equal(await focused(), 'Wireframe');
      // The last one used keeps the Tab stop: Shift+Tab out and Tab back in returns to it.
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      assert.equal(await focused(), 'Wireframe');
      await assertPanelFits(page, '1280 px desktop');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
