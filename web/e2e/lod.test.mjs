/* global performance -- used inside the page */
// Issue 21, "first frame fast": the share page draws the model's small level of detail
// ({uuid}.lod.glb) first, then the full web model in its place without moving the camera, framed
// then as on a page that showed no LOD (the LOD caption's band goes with it). The
// files are made by the api's own optimiser (the web-model job's worker), served by the real api.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import { GLB_DIR, ROOT, SAMPLES_DIR, analyseViewer, newPage, useApiAndBrowser } from './helpers.mjs';

const OPTIMIZER = join(ROOT, 'dist', 'api-test', 'src', 'glb', 'glb-optimizer.js');

describe('share page: the LOD first, then the full model', () => {
  const app = useApiAndBrowser({ RETENTION_HOURS: '48' });
  const id = randomUUID();

  before(async () => {
    if (!existsSync(OPTIMIZER)) throw new Error(`${OPTIMIZER} is missing: run \`npx tsc -p api\` first`);
    const { WorkerGlbOptimizer } = (await import(pathToFileURL(OPTIMIZER).href)).default;
    const dir = app.api.staticDir;
    const source = join(dir, `${id}.source.glb`);
    copyFileSync(join(GLB_DIR, 'valve-index-left-jpeg.glb'), source);
    const stats = await new WorkerGlbOptimizer().optimise(
      source,
      join(dir, `${id}.glb`),
      join(dir, `${id}.lod.glb`),
    );
    assert.ok(stats.lodBytes > 0 && stats.lodBytes < stats.webBytes, JSON.stringify(stats));
  });

  test('the LOD is drawn while the full model is held back, then replaced with no camera jump', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      let release;
      const held = new Promise((resolve) => (release = resolve));
      const requested = [];
      await page.route(`**/static/${id}.glb`, async (route) => {
        requested.push('full');
        await held;
        await route.continue();
      });
      page.on('request', (request) => {
        if (request.url().endsWith(`/static/${id}.lod.glb`)) requested.push('lod');
      });
      await page.goto(`${app.api.baseUrl}/m/${id}`);
      const viewer = page.locator('kiln-model-viewer');
      await page.locator('kiln-model-viewer[data-level=lod]').waitFor({ timeout: 60_000 });
      assert.equal(await viewer.getAttribute('data-state'), 'ready', 'the LOD can be turned and zoomed');
      assert.ok(requested.includes('full'), 'the full model was asked for beside the LOD');
      const lodView = await analyseViewer(page, 'lod-first.png');
      assert.ok(
        lodView.fraction > 0.05,
        `the LOD is drawn: ${(lodView.fraction * 100).toFixed(1)} % of the canvas`,
      );
      assert.equal(
        await viewer.getAttribute('data-level'),
        'lod',
        'still the LOD: the full model is held back',
      );
      const lodCamera = await viewer.getAttribute('data-camera');
      assert.ok(lodCamera);
      // The page says the detail is still coming, on the canvas and in the description.
      await page.locator('[data-testid=lod-caption]').waitFor();
      assert.match(
        (await page.locator('[data-testid=viewer-description]').textContent()) ?? '',
        /lower detail while the full model loads/,
      );

      release();
      await page.locator('kiln-model-viewer[data-level=full]').waitFor({ timeout: 60_000 });
      const fullView = await analyseViewer(page, 'lod-then-full.png');
      assert.equal(
        await page.locator('[data-testid=lod-caption]').count(),
        0,
        'no caption on the full model',
      );
      assert.doesNotMatch(
        (await page.locator('[data-testid=viewer-description]').textContent()) ?? '',
        /lower detail/,
      );
      assert.equal(await viewer.getAttribute('data-camera'), lodCamera, 'the camera did not move');
      // SwiftShader draws on the CPU: the plain lights stay, no environment map is baked.
      assert.equal(await viewer.getAttribute('data-lighting'), 'plain');
      assert.equal(
        await page.evaluate(() => performance.getEntriesByName('kiln-viewer:environment').length),
        0,
      );
      // Nearly the same framing: the model keeps its place and size on the canvas, but for detail
      // and the LOD caption's band (36 px, framed over again: lower by half of it, a little larger).
      for (const edge of ['minX', 'minY', 'maxX', 'maxY']) {
        assert.ok(
          Math.abs(fullView.box[edge] - lodView.box[edge]) <= 0.03 * lodView.width,
          `${edge}: LOD ${lodView.box[edge]} vs full ${fullView.box[edge]}`,
        );
      }
      await page.locator('[data-testid=share-expiry]').waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('after the LOD, the full model is framed as on a page that never showed a caption', async () => {
    // The same full model with no LOD beside it (a model made before them): framed at once, no caption.
    const plain = randomUUID();
    copyFileSync(join(app.api.staticDir, `${id}.glb`), join(app.api.staticDir, `${plain}.glb`));
    const views = {};
    for (const [name, modelId] of [
      ['plain', plain],
      ['lod', id],
    ]) {
      const { context, page, errors } = await newPage(app.browser);
      try {
        let release = () => undefined;
        if (name === 'lod') {
          // The full model is held back until the LOD and its caption are drawn.
          const held = new Promise((resolve) => (release = resolve));
          await page.route(`**/static/${modelId}.glb`, async (route) => {
            await held;
            await route.continue();
          });
        }
        await page.goto(`${app.api.baseUrl}/m/${modelId}`);
        if (name === 'lod') {
          await page.locator('kiln-model-viewer[data-level=lod]').waitFor({ timeout: 60_000 });
          await page.locator('[data-testid=lod-caption]').waitFor();
          release();
        }
        await page
          .locator('kiln-model-viewer[data-level=full][data-state=ready]')
          .waitFor({ timeout: 60_000 });
        assert.equal(await page.locator('.overlay.caption').count(), 0, `${name}: no caption`);
        views[name] = await analyseViewer(page, `lod-framing-${name}.png`);
        // The plain model's LOD, preloaded by the page's HTML, is not there (404).
        const expected = name === 'plain' ? [/status of 404/] : [];
        assert.equal(errors.length, expected.length, JSON.stringify(errors));
        errors.forEach((error, i) => assert.match(error, expected[i]));
      } finally {
        await context.close();
      }
    }
    // Not 18 px higher and smaller above an empty caption band (its 36 px): the same place and
    // size, to a pixel or two of the LOD's framing (same bounds, its own vertices).
    const { plain: alone, lod } = views;
    for (const edge of ['minX', 'minY', 'maxX', 'maxY']) {
      assert.ok(
        Math.abs(lod.box[edge] - alone.box[edge]) <= 3,
        `${edge}: after the LOD ${lod.box[edge]}, without one ${alone.box[edge]} (${JSON.stringify(views)})`,
      );
    }
  });

  test("the page's HTML names what the first frame needs: the route's chunks and the LOD, fetched before the app boots", async () => {
    const html = await (await fetch(`${app.api.baseUrl}/m/${id}`)).text();
    const named = new Set(
      [...html.matchAll(/<(?:link rel="modulepreload" href|script src)="([^"]+\.js)"/g)].map((m) => m[1]),
    );
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(`${app.api.baseUrl}/m/${id}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const { resources, rendererAt } = await page.evaluate(() => ({
        resources: performance
          .getEntriesByType('resource')
          .map((e) => ({ path: new URL(e.name).pathname, initiator: e.initiatorType, start: e.startTime })),
        rendererAt: performance.getEntriesByName('kiln-viewer:renderer')[0]?.startTime,
      }));
      assert.ok(rendererAt !== undefined, 'the viewer made its renderer');
      // Every script fetched before the viewer could draw was in the HTML: none waited for the app
      // to boot and its router to ask (three.js among them).
      const scripts = resources.filter((r) => r.path.endsWith('.js') && r.start < rendererAt);
      assert.ok(scripts.length > named.size / 2, JSON.stringify(scripts));
      for (const script of scripts)
        assert.ok(named.has(script.path.slice(1)), `${script.path} was not preloaded`);
      // The LOD: asked for once, by the HTML's preload, and that response served the viewer.
      const lod = resources.filter((r) => r.path === `/static/${id}.lod.glb`);
      assert.deepEqual(
        lod.map((r) => r.initiator),
        ['link'],
        JSON.stringify(resources),
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("a finished task's share_url is its model's share page: the model drawn, its LOD preloaded", async () => {
    const form = new FormData();
    const picture = readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
    form.append('image', new Blob([picture], { type: 'image/png' }), 'lantern.png');
    const answer = await fetch(`${app.api.baseUrl}/api/generate?wait=true`, { method: 'POST', body: form });
    assert.equal(answer.status, 200, await answer.clone().text());
    const done = await answer.json();
    const modelId = /\/static\/([0-9a-f-]{36})\.glb$/.exec(done.model_url)?.[1];
    assert.ok(modelId, done.model_url);
    assert.equal(done.share_url, `${app.api.baseUrl}/m/${modelId}`);
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(done.share_url);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const lod = await page.evaluate(
        (path) =>
          performance
            .getEntriesByType('resource')
            .filter((e) => new URL(e.name).pathname === path)
            .map((e) => e.initiatorType),
        `/static/${modelId}.lod.glb`,
      );
      assert.deepEqual(lod, ['link']);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a model without a LOD (made before them) still shows, straight as the full model', async () => {
    const old = randomUUID();
    copyFileSync(join(app.api.staticDir, `${id}.glb`), join(app.api.staticDir, `${old}.glb`));
    const { context, page } = await newPage(app.browser);
    try {
      await page.goto(`${app.api.baseUrl}/m/${old}`);
      await page.locator('kiln-model-viewer[data-level=full][data-state=ready]').waitFor({ timeout: 60_000 });
    } finally {
      await context.close();
    }
  });

  test('both levels are served immutable for their whole life, as model/gltf-binary', async () => {
    for (const name of [`${id}.glb`, `${id}.lod.glb`]) {
      const response = await fetch(`${app.api.baseUrl}/static/${name}`);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=172800, immutable', name);
      assert.equal(response.headers.get('content-type'), 'model/gltf-binary', name);
      await response.arrayBuffer();
    }
  });
});
