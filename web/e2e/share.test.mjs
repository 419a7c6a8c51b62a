/* global navigator, localStorage -- used inside the page */
// The share page /m/{uuid}: real textured GLBs served by the real api from STATIC_DIR, framed
// in the viewer whatever their size; the expiry note; a clear message for unknown models.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import { Logger, NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { meshopt, textureCompress } from '@gltf-transform/functions';
import { MeshoptDecoder, MeshoptEncoder } from 'meshoptimizer';
import sharp from 'sharp';

import {
  GLB_DIR,
  PHONE_VIEWPORT,
  accessBypassPaths,
  analyseViewer,
  newPage,
  saveArtifact,
  useApiAndBrowser,
} from './helpers.mjs';

const MODELS = ['valve-index-left-jpeg.glb', 'generic-trigger-left.glb'];
/** The shape the api serves at model_url: meshopt geometry, quantised, WebP textures. */
const WEB_MODEL = 'valve-index-left-jpeg.glb (meshopt + WebP)';

async function webOptimised(path) {
  await Promise.all([MeshoptEncoder.ready, MeshoptDecoder.ready]);
  const io = new NodeIO()
    .registerExtensions(ALL_EXTENSIONS)
    .registerDependencies({ 'meshopt.encoder': MeshoptEncoder, 'meshopt.decoder': MeshoptDecoder });
  const document = await io.readBinary(readFileSync(path));
  document.setLogger(new Logger(Logger.Verbosity.ERROR));
  await document.transform(
    textureCompress({ encoder: sharp, targetFormat: 'webp', resize: [1024, 1024] }),
    meshopt({ encoder: MeshoptEncoder, level: 'medium' }),
  );
  return io.writeBinary(document);
}

function assertFramed(view, label) {
  // Not lost in the distance: the fixture trigger, thin and seen from its side, covers 4.6 % of a
  // desktop canvas once the viewer leaves its 5 % margin around the bounding sphere (FRAME_MARGIN).
  assert.ok(
    view.fraction >= 0.04 && view.fraction <= 0.9,
    `${label}: model covers ${(view.fraction * 100).toFixed(1)}% of the canvas`,
  );
  assert.ok(
    !Object.values(view.touches).every(Boolean),
    `${label}: clipped at all four edges ${JSON.stringify(view)}`,
  );
  // Framed, not lost in a corner: the drawn box's centre is near the canvas centre.
  const cx = (view.box.minX + view.box.maxX) / 2 / view.width;
  const cy = (view.box.minY + view.box.maxY) / 2 / view.height;
  assert.ok(Math.abs(cx - 0.5) < 0.2 && Math.abs(cy - 0.5) < 0.2, `${label}: off-centre ${cx}, ${cy}`);
}

describe('share page', () => {
  const ids = {};
  const app = useApiAndBrowser({ RETENTION_HOURS: '48' });

  before(async () => {
    for (const name of MODELS) {
      const id = randomUUID();
      ids[name] = id;
      copyFileSync(join(GLB_DIR, name), join(app.api.staticDir, `${id}.glb`));
      copyFileSync(join(GLB_DIR, name), join(app.api.staticDir, `${id}.source.glb`));
      // Every model the api makes has a LOD beside it (issue 21; web/e2e/lod.test.mjs): the same file here.
      copyFileSync(join(GLB_DIR, name), join(app.api.staticDir, `${id}.lod.glb`));
    }
    ids[WEB_MODEL] = randomUUID();
    writeFileSync(
      join(app.api.staticDir, `${ids[WEB_MODEL]}.glb`),
      await webOptimised(join(GLB_DIR, MODELS[0])),
    );
    copyFileSync(join(GLB_DIR, MODELS[0]), join(app.api.staticDir, `${ids[WEB_MODEL]}.source.glb`));
    copyFileSync(
      join(app.api.staticDir, `${ids[WEB_MODEL]}.glb`),
      join(app.api.staticDir, `${ids[WEB_MODEL]}.lod.glb`),
    );
  });

  for (const name of [...MODELS, WEB_MODEL]) {
    test(`${name} is framed on a desktop and on a phone, with its expiry`, async () => {
      for (const [label, options] of [
        ['desktop', {}],
        ['phone', { viewport: PHONE_VIEWPORT, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
      ]) {
        const { context, page, errors } = await newPage(app.browser, options);
        try {
          const started = Date.now();
          await page.goto(`${app.api.baseUrl}/m/${ids[name]}`);
          await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
          // A figure for the report, not a target: SwiftShader draws on the CPU here.
          console.log(`share page ${name} (${label}): navigation to model ready ${Date.now() - started} ms`);
          assertFramed(await analyseViewer(page, `share-${name}-${label}.png`), `${name} ${label}`);
          const expiry = page.locator('[data-testid=share-expiry]');
          await expiry.waitFor();
          // Just copied, so about 47 hours are left.
          assert.match((await expiry.textContent()) ?? '', /about 4[78] h/);
          // The download menu asks for the model by its id (GET /api/models/{id}/download).
          const menu = page.locator('kiln-download-menu');
          await menu.waitFor({ state: 'attached' });
          assert.equal(await menu.getAttribute('data-model-id'), ids[name]);
          assert.deepEqual(errors, []);
        } finally {
          await context.close();
        }
      }
    });
  }

  test("every request a share page makes is on docs/gpu-host.md's Access bypass list", async () => {
    // Behind Cloudflare Access a share link works for anyone only if each path the page asks for
    // has a Bypass policy: a path missing from the guide's list would ask an anonymous visitor to log in.
    const bypass = accessBypassPaths();
    assert.ok(bypass.length >= 4, bypass.join(' '));
    const { context, page } = await newPage(app.browser);
    try {
      const paths = new Set();
      page.on('request', (request) => {
        const url = new URL(request.url());
        // blob: URLs (the viewer's decoded textures) never leave the browser.
        if (url.protocol.startsWith('http') && url.origin === app.api.baseUrl) paths.add(url.pathname);
      });
      await page.goto(`${app.api.baseUrl}/m/${ids['generic-trigger-left.glb']}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      await page.locator('[data-testid=share-expiry]').waitFor();
      await page.waitForLoadState('networkidle');
      assert.ok(paths.has(`/static/${ids['generic-trigger-left.glb']}.glb`), [...paths].join(' '));
      const refused = [...paths].filter((path) => !bypass.some((pattern) => pattern.test(path)));
      assert.deepEqual(refused, [], `not on the bypass list (${bypass.join(' ')})`);
    } finally {
      await context.close();
    }
  });

  test("the viewer's toolbar is on screen without scrolling: a phone held sideways (740 x 360), upright, a desktop", async () => {
    for (const viewport of [
      { width: 740, height: 360 },
      { width: 360, height: 740 },
      { width: 1280, height: 860 },
    ]) {
      const phone = viewport.width < 800 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {};
      const { context, page } = await newPage(app.browser, { viewport, ...phone });
      try {
        await page.goto(`${app.api.baseUrl}/m/${ids[MODELS[0]]}`);
        await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
        await page.locator('[data-testid=download-toggle]').waitFor();
        const seen = await page.locator('kiln-model-viewer .toolbar').evaluate((toolbar) => {
          const box = toolbar.getBoundingClientRect();
          const view = toolbar.ownerDocument.defaultView;
          return { top: box.top, bottom: box.bottom, height: view.innerHeight, scrollY: view.scrollY };
        });
        const size = `${viewport.width}x${viewport.height}`;
        assert.equal(seen.scrollY, 0, size);
        assert.ok(seen.top >= 0 && seen.bottom <= seen.height, `${size}: toolbar ${JSON.stringify(seen)}`);
        const canvas = await page.locator('kiln-model-viewer canvas').boundingBox();
        assert.ok(canvas.height >= 100, `${size}: a canvas to turn (${canvas.height} px)`);
        await saveArtifact(`share-toolbar-${size}.png`, await page.screenshot());
      } finally {
        await context.close();
      }
    }
  });

  test('on a phone, the model zooms and turns by tapping buttons, no pinch or drag (WCAG 2.5.1, 2.5.7); one Tab stop for them', async () => {
    const { context, page } = await newPage(app.browser, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    try {
      await page.goto(`${app.api.baseUrl}/m/${ids['generic-trigger-left.glb']}`);
      const viewer = page.locator('kiln-model-viewer[data-state=ready][data-level=full]');
      await viewer.waitFor({ timeout: 60_000 });
      /** data-camera as [position, target] (published a moment after the camera moved). */
      const camera = async () => {
        const [position, target] = (await viewer.getAttribute('data-camera'))
          .split(' ')
          .map((triple) => triple.split(',').map(Number));
        return { position, target, distance: Math.hypot(...position.map((p, i) => p - target[i])) };
      };
      const settled = async (before) => {
        await page.waitForFunction(
          (old) => document.querySelector('kiln-model-viewer')?.getAttribute('data-camera') !== old,
          before,
        );
        return camera();
      };
      const start = await camera();
      const raw = () => viewer.getAttribute('data-camera');
      let said = await raw();
      await page.getByRole('button', { name: 'Zoom in' }).tap();
      const closer = await settled(said);
      assert.ok(closer.distance < start.distance * 0.85, `zoom in: ${start.distance} -> ${closer.distance}`);
      said = await raw();
      await page.getByRole('button', { name: 'Zoom out' }).tap();
      const back = await settled(said);
      assert.ok(
        Math.abs(back.distance - start.distance) < start.distance * 0.02,
        `zoom out: ${back.distance}`,
      );
      said = await raw();
      await page.getByRole('button', { name: 'Turn left' }).tap();
      const turned = await settled(said);
      const azimuth = (c) => Math.atan2(c.position[0] - c.target[0], c.position[2] - c.target[2]);
      const step = azimuth(turned) - azimuth(back);
      assert.ok(Math.abs(step - Math.PI / 6) < 0.05, `turn left: ${step} rad`);
      assert.ok(Math.abs(turned.distance - back.distance) < back.distance * 0.01, 'the distance is kept');
      await saveArtifact('share-phone-view-controls.png', await page.screenshot());
      // Keyboard: one Tab stop for the four, the arrow keys between them.
      const zoomIn = page.getByRole('button', { name: 'Zoom in' });
      await zoomIn.focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Zoom out');
      const stops = await page
        .getByRole('toolbar', { name: 'Zoom and turn' })
        .locator('button')
        .evaluateAll((buttons) => buttons.filter((b) => b.tabIndex === 0).length);
      assert.equal(stops, 1);
    } finally {
      await context.close();
    }
  });

  test('reset view brings the model back after the user zoomed far away', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      await page.goto(`${app.api.baseUrl}/m/${ids['generic-trigger-left.glb']}`);
      const viewer = page.locator('kiln-model-viewer[data-state=ready]');
      await viewer.waitFor({ timeout: 60_000 });
      const canvas = viewer.locator('canvas');
      const box = await canvas.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      for (let i = 0; i < 15; i++) await page.mouse.wheel(0, 400);
      await page.waitForTimeout(800);
      const zoomedOut = await analyseViewer(page, 'share-zoomed-out.png');
      await page.getByRole('button', { name: 'Reset view' }).click();
      const reset = await analyseViewer(page, 'share-reset.png');
      assert.ok(
        zoomedOut.fraction < reset.fraction,
        `zoomed ${zoomedOut.fraction} vs reset ${reset.fraction}`,
      );
      assertFramed(reset, 'after reset');
    } finally {
      await context.close();
    }
  });

  test('auto-rotate turns the model; the share link is copied to the clipboard', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.api.baseUrl });
      const id = ids['valve-index-left-jpeg.glb'];
      await page.goto(`${app.api.baseUrl}/m/${id}`);
      const viewer = page.locator('kiln-model-viewer[data-state=ready]');
      await viewer.waitFor();
      const canvas = viewer.locator('canvas');
      await page.waitForTimeout(600);
      const still = await canvas.screenshot();
      await page.waitForTimeout(600);
      // Render on demand: nothing moves, so nothing changes.
      assert.ok(still.equals(await canvas.screenshot()), 'the idle view changed');
      await page.getByRole('button', { name: 'Auto-rotate' }).click();
      await page.waitForTimeout(1500);
      assert.ok(!still.equals(await canvas.screenshot()), 'auto-rotate did not move the model');
      await page.getByRole('button', { name: 'Copy share link' }).click();
      await page.getByText('Link copied').waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${app.api.baseUrl}/m/${id}`);
    } finally {
      await context.close();
    }
  });

  test("history lists this browser's models, drops expired ones, and opens the share page", async () => {
    const { context, page } = await newPage(app.browser);
    try {
      const now = Date.now();
      const fresh = {
        modelId: ids['valve-index-left-jpeg.glb'],
        taskId: 'a',
        createdAt: now - 3600_000,
        pictureName: 'headset.jpg',
      };
      const expired = { modelId: randomUUID(), taskId: 'b', createdAt: now - 49 * 3600_000 };
      await context.addInitScript(
        (entries) => {
          if (!localStorage.getItem('kiln3d.history.v1')) localStorage.setItem('kiln3d.history.v1', entries);
        },
        JSON.stringify([expired, fresh]),
      );
      await page.goto(app.api.baseUrl);
      const entries = page.locator('[data-testid=history-entry]');
      await entries.first().waitFor();
      assert.equal(await entries.count(), 1);
      const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('kiln3d.history.v1')));
      assert.deepEqual(
        stored.map((e) => e.modelId),
        [fresh.modelId],
      );
      // The entry names its picture, on screen and to a screen reader.
      assert.equal(
        (await entries.first().locator('[data-testid=history-name]').textContent())?.trim(),
        'headset.jpg',
      );
      assert.match(
        (await entries.first().locator('a').getAttribute('aria-label')) ?? '',
        /^headset\.jpg .+: open its model$/,
      );
      await entries.first().locator('a').click();
      await page.waitForURL(`**/m/${fresh.modelId}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor();
      // Made in this browser: "Your model", from which picture; a stranger's page says "Shared model".
      assert.equal((await page.locator('[data-testid=share-heading]').textContent())?.trim(), 'Your model');
      assert.equal(
        (await page.locator('[data-testid=share-made-from]').textContent())?.trim(),
        'Made from headset.jpg in this browser.',
      );
      const stranger = await newPage(app.browser);
      try {
        await stranger.page.goto(`${app.api.baseUrl}/m/${fresh.modelId}`);
        await stranger.page.locator('kiln-model-viewer[data-state=ready]').waitFor();
        assert.equal(
          (await stranger.page.locator('[data-testid=share-heading]').textContent())?.trim(),
          'Shared model',
        );
        assert.equal(await stranger.page.locator('[data-testid=share-made-from]').count(), 0);
      } finally {
        await stranger.context.close();
      }
    } finally {
      await context.close();
    }
  });

  test('removing history entries by keyboard keeps the focus in the list and says what was removed', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      const now = Date.now();
      const entry = (name, ago) => ({
        modelId: randomUUID(),
        taskId: randomUUID(),
        createdAt: now - ago,
        pictureName: name,
      });
      const stored = [entry('one.jpg', 1000), entry('two.jpg', 2000), entry('three.jpg', 3000)];
      await context.addInitScript((value) => {
        if (!localStorage.getItem('kiln3d.history.v1')) localStorage.setItem('kiln3d.history.v1', value);
      }, JSON.stringify(stored));
      await page.goto(app.api.baseUrl);
      const entries = page.locator('[data-testid=history-entry]');
      await entries.nth(2).waitFor();
      const status = page.locator('[data-testid=history-status]');
      const focused = () =>
        page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id);
      // The middle one: the focus goes to the entry that took its place.
      await page.getByRole('button', { name: /^Remove the model of two\.jpg/ }).focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-entry]').length === 2);
      assert.match(String(await focused()), /^Remove the model of three\.jpg/);
      assert.equal((await status.textContent())?.trim(), 'two.jpg removed from the list');
      // The last one: the focus goes to the one before.
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-entry]').length === 1);
      assert.match(String(await focused()), /^Remove the model of one\.jpg/);
      assert.equal((await status.textContent())?.trim(), 'three.jpg removed from the list');
      // Clear list: the heading takes the focus.
      await page.getByRole('button', { name: 'Clear list' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-entry]').length === 0);
      assert.equal(await focused(), 'history-heading');
      assert.equal((await status.textContent())?.trim(), 'The list is empty');
    } finally {
      await context.close();
    }
  });

  test('a model download the network dropped says so, and "Try again" brings the model', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      const id = ids[MODELS[1]];
      // The first request for each level dies as on a phone between cells; later ones pass.
      const dropped = new Set();
      await page.route(`**/static/${id}.*glb`, async (route) => {
        const path = new URL(route.request().url()).pathname;
        if (dropped.has(path)) return route.continue();
        dropped.add(path);
        return route.abort('internetdisconnected');
      });
      await page.goto(`${app.api.baseUrl}/m/${id}`);
      const failed = page.locator('kiln-model-viewer [data-testid=load-failed]');
      await failed.waitFor();
      assert.match((await failed.textContent()) ?? '', /could not be loaded/);
      assert.deepEqual([...dropped].sort(), [`/static/${id}.glb`, `/static/${id}.lod.glb`]);
      await failed.getByRole('button', { name: 'Try again' }).click();
      await page.locator('kiln-model-viewer[data-state=ready][data-level=full]').waitFor();
      assert.equal(await failed.count(), 0);
      await page.locator('[data-testid=share-expiry]').waitFor();

      // Only the full model dropped, its LOD arriving after that: the LOD must not hide the failure
      // (a model that looks finished, never gets its detail, and offers nothing to do about it).
      await page.unrouteAll();
      let fullDropped = false;
      await page.route(`**/static/${id}.glb`, async (route) => {
        if (fullDropped) return route.continue();
        fullDropped = true;
        return route.abort('internetdisconnected');
      });
      let lodServed = false;
      await page.route(`**/static/${id}.lod.glb`, async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await route.continue();
        lodServed = true;
      });
      await page.reload();
      await failed.waitFor();
      for (let waited = 0; !lodServed && waited < 30_000; waited += 100) await page.waitForTimeout(100);
      assert.ok(lodServed, 'the LOD was served');
      await page.waitForTimeout(1000); // time to parse and draw it, if it were to be drawn
      assert.equal(await failed.count(), 1, 'the failure and its "Try again" are still shown');
      assert.equal(await page.locator('kiln-model-viewer').getAttribute('data-state'), 'error');
      await failed.getByRole('button', { name: 'Try again' }).click();
      await page.locator('kiln-model-viewer[data-state=ready][data-level=full]').waitFor();
    } finally {
      await context.close();
    }
  });

  test('an unknown or expired model gets a clear message, a malformed link another', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      await page.goto(`${app.api.baseUrl}/m/${randomUUID()}`);
      const notFound = page.locator('[data-testid=share-not-found]');
      await notFound.waitFor({ timeout: 30_000 });
      assert.match((await notFound.textContent()) ?? '', /does not exist or has expired/);
      // The heading and the document's title say it too (WCAG 2.4.2), in either language.
      assert.equal(
        (await page.locator('[data-testid=share-heading]').textContent())?.trim(),
        'Model not found',
      );
      await page.waitForFunction(() => document.title === 'Kiln3D: Model not found');
      await page.getByTestId('lang').selectOption('zh');
      await page.waitForFunction(() => document.title === 'Kiln3D：找不到模型');
      await page.getByTestId('lang').selectOption('en');
      await page.goto(`${app.api.baseUrl}/m/not-a-model`);
      await page.locator('[data-testid=share-bad-id]').waitFor();
      assert.equal(await page.title(), 'Kiln3D: Model not found');
      // A model that is there: the route's own title again.
      await page.goto(`${app.api.baseUrl}/m/${ids[MODELS[0]]}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      assert.equal(await page.title(), 'Kiln3D: shared 3D model');
    } finally {
      await context.close();
    }
  });
});
