// The viewer's download menu on the real api: a model made on the inflate engine, then each of its
// formats taken through the menu, as a person would, on the home page and on the share page; the
// file the browser saved is checked by its first bytes. FORMAT_WAIT_S=0 makes the api answer 202
// at once while a file is made, so the menu's "Preparing …" and its retries run for real.
// Until the formats tool (inference/kiln3d_inference/formats) is in the tree, only the GLB is
// downloaded and the other formats must show the server's format_failed message instead.
/* global DOMTokenList, HTMLAnchorElement -- used inside the page */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  GLB_DIR,
  accessBypassPaths,
  horizontalOverflow,
  newPage,
  pickAndGenerate,
  saveArtifact,
  useApiAndBrowser,
} from './helpers.mjs';

const FORMATS = ['glb', 'obj', 'stl', '3mf', 'ply', 'usdz'];
const ZIP = 'PK\u0003\u0004';
const MAGIC = { glb: 'glTF', obj: ZIP, '3mf': ZIP, usdz: ZIP, ply: 'ply\n' };

/** The file name the api gives each download (docs/design.md, Formats). */
function fileName(modelId, format, sizeMm = 100) {
  const base = `kiln3d-${modelId.slice(0, 8)}`;
  if (format === 'obj') return `${base}-obj.zip`;
  if (format === 'stl' || format === '3mf') return `${base}-${sizeMm}mm.${format}`;
  return `${base}.${format}`;
}

/** Checks a saved file by its first bytes; a binary STL by its length (84 + 50 bytes a triangle). */
function assertFile(format, bytes, triangles) {
  if (format === 'stl') {
    const count = bytes.readUInt32LE(80);
    assert.equal(bytes.length, 84 + 50 * count, 'binary STL length');
    if (triangles !== undefined) assert.equal(count, triangles, 'the model’s triangles');
  } else {
    assert.equal(bytes.subarray(0, MAGIC[format].length).toString('latin1'), MAGIC[format], format);
  }
}

/** The toggle's arrow as drawn: whether it is turned (a transform that applies to its box). */
function chevronTurned(toggle) {
  return toggle.locator('.chevron').evaluate((el) => {
    const style = el.ownerDocument.defaultView.getComputedStyle(el);
    return style.display !== 'inline' && style.transform !== 'none';
  });
}

async function openMenu(page) {
  const toggle = page.getByRole('button', { name: 'Download', exact: true });
  await page.locator('[data-testid=download-toggle][aria-expanded=false]').waitFor();
  assert.equal(await chevronTurned(toggle), false, 'closed: the arrow points down');
  await toggle.click();
  await page.locator('[data-testid=download-toggle][aria-expanded=true]').waitFor();
  assert.equal(await chevronTurned(toggle), true, 'open: the arrow points up');
  const menu = page.getByRole('group', { name: 'Download formats' });
  await menu.waitFor();
  // The list's answer: the GLB's size is always known.
  await menu.locator('button[data-format=glb] [data-testid=format-bytes]').waitFor();
  return menu;
}

/**
 * Chooses a format in the open menu and returns the file the browser saved. `preparing`: the
 * menu must first say "Preparing …" (the file was not made yet).
 */
async function downloadThroughMenu(page, menu, format, { preparing = false } = {}) {
  const saved = page.waitForEvent('download', { timeout: 180_000 });
  await menu.locator(`button[data-format="${format}"]`).click();
  if (preparing) {
    await menu
      .locator('[data-testid=download-progress]', { hasText: `Preparing ${format.toUpperCase()}…` })
      .waitFor({ timeout: 30_000 });
  }
  const download = await saved;
  await menu
    .locator('[data-testid=download-done]', { hasText: `The ${format.toUpperCase()} download has started.` })
    .waitFor();
  return { name: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
}

describe('downloads in every format through the viewer menu', () => {
  const app = useApiAndBrowser({ INFERENCE_ENGINE: 'inflate', FORMAT_WAIT_S: '0' });
  /** Set by the home page test, used by the share page's. */
  const made = { modelId: '', triangles: undefined };

  test('home page: a new model, then each format from the menu (made on first request)', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      // Before any task, the Options panel says what this engine never uses and greys it out
      // (GET /api/qualities from the sidecar's Health).
      await page.locator('[data-testid=options] summary').click();
      await page
        .locator('[data-testid=unused-options]', {
          hasText: "This server's engine does not use: quality, seed, texture size, faces.",
        })
        .waitFor();
      for (const option of ['quality', 'seed', 'texture-size', 'faces']) {
        assert.ok(await page.locator(`[data-testid=option-${option}]`).isDisabled(), option);
      }
      const { task_id: taskId } = await (await pickAndGenerate(page)).json();
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 180_000 });
      const snapshot = await (await fetch(`${app.api.baseUrl}/api/tasks/${taskId}`)).json();
      made.modelId = /\/static\/([0-9a-f-]{36})\.glb$/.exec(snapshot.model_url)[1];
      made.triangles = snapshot.triangles;
      // inflate ignores the seed (its snapshot says so): no "New variation", whose model would
      // come back identical (simulate, which uses it, offers one: preview.test.mjs).
      assert.ok(snapshot.ignored_options.includes('seed'), JSON.stringify(snapshot.ignored_options));
      await page.locator('[data-testid=status-completed]').waitFor();
      assert.equal(await page.locator('[data-testid=variation]').count(), 0, 'no New variation');
      // The Options said it before the picture was sent; no option was chosen (they were greyed
      // out), so the result does not repeat it (the API's ignored_options still names all four).
      assert.equal(await page.locator('[data-testid=ignored-options]').count(), 0);
      assert.deepEqual(snapshot.ignored_options.sort(), ['faces', 'quality', 'seed', 'texture_size']);

      const menu = await openMenu(page);
      assert.equal(
        await page.locator('kiln-download-menu').getAttribute('data-model-id'),
        made.modelId,
        'the menu asks by the model id',
      );
      const glb = await downloadThroughMenu(page, menu, 'glb');
      assert.equal(glb.name, fileName(made.modelId, 'glb'));
      assertFile('glb', glb.bytes);
      assert.deepEqual(glb.bytes, readFileSync(join(app.api.staticDir, `${made.modelId}.source.glb`)));

      for (const format of FORMATS.slice(1)) {
        const file = await downloadThroughMenu(page, menu, format, { preparing: true });
        assert.equal(file.name, fileName(made.modelId, format), format);
        assertFile(format, file.bytes, made.triangles);
      }
      // The menu knows every size now (from the downloads, and on the next opening from the list).
      await page.getByRole('button', { name: 'Download', exact: true }).click();
      const reopened = await openMenu(page);
      for (const format of FORMATS) {
        await reopened.locator(`button[data-format="${format}"] [data-testid=format-bytes]`).waitFor();
      }
      // An inflate relief is closed: no slicer warning.
      assert.equal(await reopened.locator('[data-testid=not-watertight]').count(), 0);
      await saveArtifact('downloads-home-menu.png', await page.screenshot({ fullPage: true }));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('share page: the same model in each format by its id, sizes shown; a 250 mm STL', async (t) => {
    if (!made.modelId) return t.skip('the home page test made no model');
    const { context, page, errors } = await newPage(app.browser);
    try {
      // Behind Cloudflare Access a share link's downloads work for anyone only on the bypass list.
      const paths = new Set();
      page.on('request', (request) => {
        const url = new URL(request.url());
        // blob: URLs (the viewer's decoded textures) never leave the browser.
        if (url.protocol.startsWith('http') && url.origin === app.api.baseUrl) paths.add(url.pathname);
      });
      await page.goto(`${app.api.baseUrl}/m/${made.modelId}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const menu = await openMenu(page);
      for (const format of FORMATS) {
        // Made by the home page test: listed with their sizes, downloaded at once.
        await menu.locator(`button[data-format="${format}"] [data-testid=format-bytes]`).waitFor();
        const file = await downloadThroughMenu(page, menu, format);
        assert.equal(file.name, fileName(made.modelId, format), format);
        assertFile(format, file.bytes, made.triangles);
      }
      // The print size is checked before any request; 250 mm is another file.
      const size = menu.getByLabel('Print size (longest side)');
      await size.fill('5');
      const asked = [];
      page.on('request', (request) => asked.push(request.url()));
      await menu.locator('button[data-format=stl]').click();
      await menu.locator('[data-testid=size-error]').waitFor();
      assert.equal(await size.getAttribute('aria-invalid'), 'true');
      assert.deepEqual(asked, []);
      await size.fill('250');
      const file = await downloadThroughMenu(page, menu, 'stl', { preparing: true });
      assert.equal(file.name, fileName(made.modelId, 'stl', 250));
      assertFile('stl', file.bytes, made.triangles);
      // Escape closes the menu and gives the focus back to its button.
      await menu.locator('button[data-format=glb]').focus();
      await page.keyboard.press('Escape');
      await page.getByRole('group', { name: 'Download formats' }).waitFor({ state: 'detached' });
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
        'download-toggle',
      );
      assert.ok(paths.has(`/api/models/${made.modelId}/download`), [...paths].join(' '));
      const bypass = accessBypassPaths();
      assert.deepEqual(
        [...paths].filter((path) => !bypass.some((pattern) => pattern.test(path))),
        [],
        'not on the Access bypass list of docs/gpu-host.md',
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a mesh that is not watertight: the menu warns before printing', async () => {
    // A VR controller's model: several open parts, not a closed surface.
    const id = randomUUID();
    copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(app.api.staticDir, `${id}.glb`));
    copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(app.api.staticDir, `${id}.source.glb`));
    // Every model the api makes has a LOD beside it (issue 21): the share page asks for it first.
    copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(app.api.staticDir, `${id}.lod.glb`));
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(`${app.api.baseUrl}/m/${id}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const menu = await openMenu(page);
      const file = await downloadThroughMenu(page, menu, 'stl', { preparing: true });
      assertFile('stl', file.bytes);
      const head = await fetch(`${app.api.baseUrl}/api/models/${id}/download?format=stl`, {
        headers: { Range: 'bytes=0-0' },
      });
      const watertight = head.headers.get('x-mesh-watertight');
      console.log(`downloads: generic-trigger-left.glb as STL: X-Mesh-Watertight ${watertight}`);
      const warning = menu.locator('[data-testid=not-watertight]');
      if (watertight === 'false') {
        await warning.waitFor();
        assert.match((await warning.textContent()) ?? '', /not watertight: a slicer may need to repair it/);
      } else {
        assert.equal(await warning.count(), 0);
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("iPhone: View in AR hands the server's USDZ to Quick Look, after 'Preparing AR…'", async () => {
    // A model whose USDZ is not made yet (FORMAT_WAIT_S=0: the first answer is a 202).
    const id = randomUUID();
    copyFileSync(join(GLB_DIR, 'valve-index-left-jpeg.glb'), join(app.api.staticDir, `${id}.glb`));
    copyFileSync(join(GLB_DIR, 'valve-index-left-jpeg.glb'), join(app.api.staticDir, `${id}.source.glb`));
    // Every model the api makes has a LOD beside it (issue 21): the share page asks for it first.
    copyFileSync(join(GLB_DIR, 'valve-index-left-jpeg.glb'), join(app.api.staticDir, `${id}.lod.glb`));
    const { context, page, errors } = await newPage(app.browser, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    });
    try {
      // Chromium as iOS Safari: <a rel="ar"> understood, and the click that would open Quick Look recorded.
      await page.addInitScript(() => {
        const supports = DOMTokenList.prototype.supports;
        DOMTokenList.prototype.supports = function (token) {
          return token === 'ar' || supports.call(this, token);
        };
        window.arClicks = [];
        const click = HTMLAnchorElement.prototype.click;
        HTMLAnchorElement.prototype.click = function () {
          if (this.rel !== 'ar') return click.call(this);
          window.arClicks.push({ href: this.href, child: this.firstElementChild?.tagName });
        };
      });
      await page.goto(`${app.api.baseUrl}/m/${id}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'View in AR' }).click();
      await page.getByRole('button', { name: 'Preparing AR…' }).waitFor();
      await page.waitForFunction(() => window.arClicks.length > 0, undefined, { timeout: 180_000 });
      const url = `${app.api.baseUrl}/api/models/${id}/download?format=usdz`;
      assert.deepEqual(await page.evaluate(() => window.arClicks), [
        { href: `${url}#allowsContentScaling=1`, child: 'IMG' },
      ]);
      // It waited for the file, so a link to tap stays too; the file is the server's USDZ.
      const link = page.getByRole('link', { name: 'AR is ready: open it' });
      assert.equal(await link.getAttribute('rel'), 'ar');
      assert.equal(await link.getAttribute('href'), `${url}#allowsContentScaling=1`);
      const usdz = await fetch(url);
      assert.equal(usdz.headers.get('content-type'), 'model/vnd.usdz+zip');
      assertFile('usdz', Buffer.from(await usdz.arrayBuffer()));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the open menu fits a 360 px wide phone', async (t) => {
    if (!made.modelId) return t.skip('the home page test made no model');
    const { context, page, errors } = await newPage(app.browser, {
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      await page.goto(`${app.api.baseUrl}/m/${made.modelId}`);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const menu = await openMenu(page);
      assert.equal(await horizontalOverflow(page), 0);
      const box = await menu.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, JSON.stringify(box));
      // The print size's unit stays beside its number (it once wrapped alone to the panel's edge).
      const input = await page.getByTestId('print-size').boundingBox();
      const unit = await page.locator('kiln-download-menu .unit').boundingBox();
      assert.ok(
        input &&
          unit &&
          unit.x > input.x + input.width &&
          Math.abs(unit.y + unit.height / 2 - (input.y + input.height / 2)) < 4,
        JSON.stringify({ input, unit }),
      );
      await saveArtifact('downloads-phone-menu.png', await page.screenshot({ fullPage: true }));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
