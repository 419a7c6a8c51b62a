// A mesh's units, the 3D-printing hobbyist's most common slip: a part drawn in millimetres sent
// with glTF's default metres would print 40 m long. The mesh picker questions an implausible size
// (over 10 m, under 1 mm) before anything is sent and offers the likely units; taken, they go
// with the mesh to POST /api/texture, the painted model's own size is 40 mm, and its formats list
// says its GLB is in millimetres.
/* global XMLHttpRequest -- used inside page.evaluate */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { SAMPLES_DIR, newPage, useApiAndBrowser } from './helpers.mjs';

const workDir = mkdtempSync(join(tmpdir(), 'kiln3d-mesh-units-e2e-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** A 20 x 40 x 15 box in the file's units (a part drawn in millimetres), away from the origin. */
function partObj() {
  const corners = [0, 1, 2, 3, 4, 5, 6, 7].map(
    (c) => `v ${300 + (c & 1 ? 10 : -10)} ${120 + (c & 2 ? 20 : -20)} ${-80 + (c & 4 ? 7.5 : -7.5)}`,
  );
  const faces = ['1 3 4 2', '5 6 8 7', '1 2 6 5', '3 7 8 4', '1 5 7 3', '2 4 8 6'].map((f) => `f ${f}`);
  const path = join(workDir, 'part.obj');
  writeFileSync(path, [...corners, ...faces].join('\n'));
  return path;
}

describe("a mesh's units", () => {
  const app = useApiAndBrowser();

  test('a part in millimetres sent as metres is questioned before upload; the millimetres offered go with it', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      const posts = [];
      page.on('request', (request) => {
        if (request.method() === 'POST') posts.push(request);
      });
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=mode-texture]').click();
      await page.locator('[data-testid=mesh-input]').setInputFiles(partObj());
      await page.locator('kiln-model-viewer[data-state=mesh]').waitFor();
      const units = page.locator('[data-testid=mesh-units]');
      assert.equal(await units.inputValue(), 'm');

      // 40 units of glTF's metres: 40 m, over 10 m. Said at once, nothing sent.
      const doubt = page.locator('[data-testid=mesh-units-doubt][data-kind=large]');
      await doubt.waitFor();
      assert.equal(
        (await doubt.locator('[role=alert]').textContent()).trim(),
        'In these units the mesh is 40 m long, over 10 m, and its STL and 3MF would be made that size. Is it in other units?',
      );
      const offer = page.locator('[data-testid=mesh-units-likely]');
      assert.equal((await offer.textContent()).trim(), 'Use millimetres (mm)');
      assert.deepEqual(
        posts.map((request) => request.url()),
        [],
        'nothing was uploaded',
      );

      await offer.click();
      await page.locator('[data-testid=mesh-units-doubt]').waitFor({ state: 'detached' });
      assert.equal(await units.inputValue(), 'mm');
      assert.equal(
        (await page.locator('[data-testid=mesh-size]').textContent()).trim(),
        'Size: 20 × 40 × 15 mm',
      );
      assert.equal(await units.evaluate((select) => select === document.activeElement), true);

      // The units taken go with the mesh.
      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      // The form's units field, as the upload sends it.
      await page.evaluate(() => {
        const send = XMLHttpRequest.prototype.send;
        XMLHttpRequest.prototype.send = function (body) {
          if (body instanceof FormData) window.kilnSentUnits = body.get('units');
          return send.call(this, body);
        };
      });
      const accepted = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/texture');
      await page.locator('[data-testid=texture]').click();
      const answer = await accepted;
      assert.equal(answer.status(), 202, await answer.text());
      assert.equal(await page.evaluate(() => window.kilnSentUnits), 'mm');
      const { task_id: taskId } = await answer.json();
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 180_000 });

      // Its own size is 40 mm, and its GLB is said to be in millimetres (not "metres").
      const snapshot = await (await fetch(`${app.api.baseUrl}/api/tasks/${taskId}`)).json();
      assert.equal(snapshot.options.units, 'mm');
      const modelId = /\/static\/([0-9a-f-]{36})\.glb$/.exec(snapshot.model_url)?.[1];
      const list = await (await fetch(`${app.api.baseUrl}/api/models/${modelId}/formats`)).json();
      assert.equal(list.units, 'mm');
      const glb = list.formats.find((entry) => entry.format === 'glb');
      assert.equal(
        glb.description,
        "the engine's original glTF binary (millimetres, Y up), for editing tools",
      );
      assert.equal(list.formats.find((entry) => entry.format === 'stl').size_mm, 40);
      await page.locator('kiln-download-menu').waitFor({ state: 'attached' });
      await page.locator('[data-testid=download-toggle]').click();
      const own = page.locator('[data-testid=print-size-own]');
      await own.waitFor();
      assert.equal((await own.locator('xpath=..').textContent()).trim(), 'Own size (40\u00a0mm)');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
