// "Paint my own mesh" (issue 20): a mesh chosen in the browser is drawn grey at once, before any
// upload, and refused here as the server would refuse it; with a picture it goes to POST
// /api/texture, is followed like a generation, and its painted copy takes the grey mesh's place
// with the camera where it was (same geometry, so no reframing).
/* global DataTransfer, DragEvent, File, MutationObserver -- used inside page.evaluate */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { Document, NodeIO } from '@gltf-transform/core';
import sharp from 'sharp';

import {
  CANVAS_ONLY,
  PHONE_VIEWPORT,
  SAMPLES_DIR,
  analyseViewer,
  horizontalOverflow,
  newPage,
  saveArtifact,
  useApiAndBrowser,
  visibleInViewport,
} from './helpers.mjs';

const MB = 1024 * 1024;
const workDir = mkdtempSync(join(tmpdir(), 'kiln3d-texture-e2e-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/**
 * A small GLB of an ellipsoid off the origin (POSITION and indices only, as a scanner or a CAD
 * export might give): off-centre and unequal radii, so a result put elsewhere or scaled shows.
 */
async function ellipsoidGlb({
  segments = 32,
  rings = 20,
  radii = [0.6, 0.4, 0.5],
  center = [0.3, 1.2, -0.1],
} = {}) {
  const positions = [];
  for (let ring = 0; ring <= rings; ring++) {
    const theta = (ring / rings) * Math.PI;
    for (let segment = 0; segment <= segments; segment++) {
      const phi = (segment / segments) * Math.PI * 2;
      positions.push(
        center[0] + radii[0] * Math.sin(theta) * Math.cos(phi),
        center[1] + radii[1] * Math.cos(theta),
        center[2] + radii[2] * Math.sin(theta) * Math.sin(phi),
      );
    }
  }
  const indices = [];
  const row = segments + 1;
  for (let ring = 0; ring < rings; ring++) {
    for (let segment = 0; segment < segments; segment++) {
      const a = ring * row + segment;
      const b = a + row;
      // Counter-clockwise seen from outside: the outer faces are the front faces.
      if (ring !== 0) indices.push(a, a + 1, b);
      if (ring !== rings - 1) indices.push(a + 1, b + 1, b);
    }
  }
  const doc = new Document();
  const buffer = doc.createBuffer();
  const position = doc
    .createAccessor()
    .setType('VEC3')
    .setArray(new Float32Array(positions))
    .setBuffer(buffer);
  const IndexArray = positions.length / 3 > 65535 ? Uint32Array : Uint16Array;
  const index = doc.createAccessor().setType('SCALAR').setArray(new IndexArray(indices)).setBuffer(buffer);
  const primitive = doc.createPrimitive().setAttribute('POSITION', position).setIndices(index);
  const mesh = doc.createMesh('ellipsoid').addPrimitive(primitive);
  doc.createScene().addChild(doc.createNode('ellipsoid').setMesh(mesh));
  return Buffer.from(await new NodeIO().writeBinary(doc));
}

/** Writes a file for the mesh picker (setInputFiles takes paths for anything large). */
function meshFile(name, bytes) {
  const path = join(workDir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * The canvas's drawn pixels (those unlike the backdrop) as a screenshot says: how many there are,
 * and the share of them with colour (channels apart by more than 24 levels; grey has none).
 */
async function drawnColours(page, artifactName) {
  const canvas = page.locator('kiln-model-viewer canvas');
  const png = await canvas.screenshot({ style: CANVAS_ONLY });
  await saveArtifact(artifactName, png);
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const background = [0xe8, 0xeb, 0xf0];
  let drawn = 0;
  let coloured = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.max(Math.abs(r - background[0]), Math.abs(g - background[1]), Math.abs(b - background[2])) <= 12)
      continue;
    drawn++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 24) coloured++;
  }
  return { drawn, colouredShare: drawn === 0 ? 0 : coloured / drawn, png };
}

/** Drags a file of `text` named `name` over the element `selector` finds and drops it there. */
function dropFile(page, selector, name, text) {
  return page.evaluate(
    ({ selector, name, text }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], name));
      const target = document.querySelector(selector);
      for (const type of ['dragover', 'drop']) {
        target.dispatchEvent(
          new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      }
    },
    { selector, name, text },
  );
}

/** The POSTs the page sends (an upload would be one). */
function recordPosts(page) {
  const posts = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
  });
  return posts;
}

describe('texture my mesh', () => {
  const app = useApiAndBrowser();

  test('a chosen mesh is drawn grey at once, and a wrong one (a wrong type, too large, unreadable, too many triangles) is refused before any upload', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      const posts = recordPosts(page);
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=mode-texture]').click();
      await page.locator('[data-testid=mode-texture][aria-checked=true]').waitFor();

      // Not a mesh format: refused by its name, with the server's code.
      await page
        .locator('[data-testid=mesh-input]')
        .setInputFiles(meshFile('part.stl', 'solid part\nendsolid part\n'));
      const error = page.locator('[data-testid=mesh-error]');
      await error.waitFor();
      assert.equal(await error.getAttribute('data-error-code'), 'unsupported_mesh');
      assert.match(await error.textContent(), /not a GLB, OBJ or PLY mesh/);

      // Over MAX_MESH_MB (50 by default): refused with the limit named, nothing sent.
      const huge = Buffer.alloc(50 * MB + 1);
      huge.write('glTF', 0, 'latin1');
      await page.locator('[data-testid=mesh-input]').setInputFiles(meshFile('huge.glb', huge));
      await page.locator('[data-testid=mesh-error][data-error-code=mesh_too_large]').waitFor();
      assert.match(await error.textContent(), /The mesh is too large: the limit is 50 MB/);

      // Named .obj but the browser's loader finds no OBJ in it: said plainly.
      await page
        .locator('[data-testid=mesh-input]')
        .setInputFiles(meshFile('letter.obj', 'Dear Sir,\nno mesh here.\n'));
      await page.locator('[data-testid=mesh-error][data-error-code=unreadable]').waitFor();
      assert.match(await error.textContent(), /could not read this mesh/);
      // More triangles than the server paints (TEXTURE_MAX_FACES in /api/config, 200,000 by
      // default, said beforehand): refused with both counts once the browser has counted them.
      assert.match(
        await page.locator('kiln-mesh-picker .hint').first().textContent(),
        /up to 50 MB and 200,000 triangles/,
      );
      await page
        .locator('[data-testid=mesh-input]')
        .setInputFiles(meshFile('dense.glb', await ellipsoidGlb({ segments: 400, rings: 252 })));
      await page.locator('[data-testid=mesh-error][data-error-code=mesh_too_many_faces]').waitFor();
      assert.match(await error.textContent(), /has 200,800 triangles; this server paints at most 200,000/);
      // Nothing to draw after a refusal.
      assert.equal(await page.locator('kiln-model-viewer').count(), 0);

      // A real mesh: the viewer draws it at once, grey, framed by the viewer's own framing.
      await page
        .locator('[data-testid=mesh-input]')
        .setInputFiles(meshFile('ellipsoid.glb', await ellipsoidGlb()));
      await page.locator('kiln-model-viewer[data-state=mesh]').waitFor();
      assert.equal(await error.count(), 0);
      assert.match(
        await page.locator('[data-testid=mesh-summary]').textContent(),
        /ellipsoid\.glb: 1,216 triangles/,
      );
      await page
        .locator('[data-testid=mesh-caption]')
        .evaluate((element) => (element.style.visibility = 'hidden'));
      const grey = await analyseViewer(page, 'texture-grey-mesh.png');
      assert.ok(grey.fraction > 0.05, `the mesh covers ${(grey.fraction * 100).toFixed(1)}% of the canvas`);
      assert.ok(!Object.values(grey.touches).some(Boolean), `mesh clipped: ${JSON.stringify(grey)}`);
      const colours = await drawnColours(page, 'texture-grey-mesh-colours.png');
      assert.ok(
        colours.colouredShare < 0.02,
        `grey mesh has ${(colours.colouredShare * 100).toFixed(1)}% coloured pixels`,
      );
      // The toolbar works on it (turn, wireframe) while nothing is downloadable yet.
      assert.equal(await page.locator('kiln-model-viewer button[aria-pressed]').first().isDisabled(), false);
      assert.equal(await page.locator('kiln-download-menu').count(), 0);

      // Dropped anywhere on the page (not on the picture's box), a mesh replaces the chosen one.
      const obj = 'v 0 0 0\nv 2 0 0\nv 0 2 0\nv 0 0 2\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n';
      const before = await page.locator('kiln-model-viewer').getAttribute('data-camera');
      await dropFile(page, '.tagline', 'tetra.obj', obj);
      await page.waitForFunction(() =>
        /tetra\.obj: 4 triangles/.test(
          document.querySelector('[data-testid=mesh-summary]')?.textContent ?? '',
        ),
      );
      await page.locator('kiln-model-viewer[data-state=mesh]').waitFor();
      // Another shape is framed afresh: the camera moved for it.
      await page.waitForFunction(
        (old) => document.querySelector('kiln-model-viewer')?.getAttribute('data-camera') !== old,
        before,
      );

      // A mesh dropped on the picture's box is the mesh too (the box takes only pictures there).
      await dropFile(page, '[data-testid=dropzone]', 'on-the-box.obj', obj);
      await page.waitForFunction(() =>
        /on-the-box\.obj: 4 triangles/.test(
          document.querySelector('[data-testid=mesh-summary]')?.textContent ?? '',
        ),
      );
      assert.equal(await page.locator('[data-testid=upload-error]').count(), 0, 'not taken as a picture');

      // Without a picture there is nothing to start; the mode's button waits for it.
      assert.equal(await page.locator('[data-testid=texture]').count(), 0);
      assert.deepEqual(posts, [], 'nothing was uploaded');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('on a phone, in Chinese: the switch, the mesh and its grey preview fit the screen', async () => {
    const { context, page, errors } = await newPage(app.browser, {
      viewport: PHONE_VIEWPORT,
      locale: 'zh-CN',
    });
    try {
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=mode-texture]').click();
      assert.equal(
        (await page.locator('[data-testid=mode-texture]').textContent()).trim(),
        '为我自己的网格上色',
      );
      await page
        .locator('[data-testid=mesh-input]')
        .setInputFiles(meshFile('ellipsoid.glb', await ellipsoidGlb()));
      await page.locator('kiln-model-viewer[data-state=mesh]').waitFor();
      assert.match(
        await page.locator('[data-testid=mesh-summary]').textContent(),
        /ellipsoid\.glb：1,216 个三角形/,
      );
      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
      await page.locator('[data-testid=thumbnail]').waitFor();
      assert.equal(await horizontalOverflow(page), 0);
      for (const testid of ['mode-generate', 'mode-texture', 'mesh-choose', 'texture']) {
        assert.ok(await visibleInViewport(page.locator(`[data-testid=${testid}]`)), `${testid} off screen`);
      }
      // The viewer sits below the inputs on a phone: it fits the screen's width and height.
      const canvas = await page.locator('kiln-model-viewer canvas').boundingBox();
      assert.ok(
        canvas && canvas.x >= 0 && canvas.x + canvas.width <= PHONE_VIEWPORT.width,
        JSON.stringify(canvas),
      );
      assert.ok(canvas.height > 100 && canvas.height <= PHONE_VIEWPORT.height, JSON.stringify(canvas));

      // A tall mesh is framed above the caption band, never under it (a trial's phone: the bottom
      // tenth of a tall box lay under "not painted yet").
      const corners = [-1, 1].flatMap((x) => [0, 8].flatMap((y) => [-1, 1].map((z) => `v ${x} ${y} ${z}`)));
      const sides = ['1 2 4 3', '5 7 8 6', '1 5 6 2', '3 4 8 7', '1 3 7 5', '2 6 8 4'];
      const tallBox = [...corners, ...sides.map((side) => `f ${side}`)].join('\n');
      await page.locator('[data-testid=mesh-input]').setInputFiles(meshFile('tall.obj', tallBox));
      await page.waitForFunction(() =>
        /tall\.obj/.test(document.querySelector('[data-testid=mesh-summary]')?.textContent ?? ''),
      );
      await page.locator('kiln-model-viewer[data-state=mesh]').waitFor();
      const band = await page.locator('[data-testid=mesh-caption]').boundingBox();
      const stage = await page.locator('kiln-model-viewer canvas').boundingBox();
      const tall = await analyseViewer(page, 'texture-tall-phone.png');
      const bandTop = (band.y - stage.y) * (tall.height / stage.height);
      assert.ok(
        tall.box.maxY < bandTop,
        `the mesh reaches row ${tall.box.maxY}, the caption starts at ${bandTop}`,
      );
      assert.ok(!Object.values(tall.touches).some(Boolean), `mesh clipped: ${JSON.stringify(tall)}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('mesh + picture -> POST /api/texture -> progress -> the painted mesh in its place, camera unchanged', async () => {
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=mode-texture]').click();
      await page
        .locator('[data-testid=mesh-input]')
        .setInputFiles(meshFile('ellipsoid.glb', await ellipsoidGlb()));
      const viewer = page.locator('kiln-model-viewer');
      await page.locator('kiln-model-viewer[data-state=mesh]').waitFor();
      await page
        .locator('[data-testid=file-input]')
        .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
      await page.locator('[data-testid=thumbnail]').waitFor();

      await page
        .locator('[data-testid=mesh-caption]')
        .evaluate((element) => (element.style.visibility = 'hidden'));
      const grey = await analyseViewer(page, 'texture-before.png');
      const cameraBefore = await viewer.getAttribute('data-camera');
      assert.match(String(cameraBefore), /^-?\d/);

      // Every phase the progress panel shows, recorded as it happens (a fast job may skip one).
      await page.evaluate(() => {
        window.phases = [];
        new MutationObserver(() => {
          const phase = document.querySelector('kiln-progress-panel')?.getAttribute('data-phase');
          if (phase && window.phases.at(-1) !== phase) window.phases.push(phase);
        }).observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
          attributeFilter: ['data-phase'],
        });
      });
      const accepted = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/texture');
      await page.locator('[data-testid=texture]').click();
      const answer = await accepted;
      assert.equal(
        answer.status(),
        202,
        `POST /api/texture answered ${answer.status()}: ${await answer.text()}`,
      );
      const body = await answer.json();
      assert.match(body.task_id, /^[0-9a-f-]{36}$/);
      // The server took both files (it refuses a texturing request without either, 400).

      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 180_000 });
      const phases = await page.evaluate(() => window.phases);
      assert.ok(phases.includes('queued') || phases.includes('processing'), `phases: ${phases.join(', ')}`);
      const snapshot = await (await fetch(`${app.api.baseUrl}/api/tasks/${body.task_id}`)).json();
      assert.equal(snapshot.kind, 'texture');

      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      // The painted copy has the mesh's geometry: the camera did not move for it.
      assert.equal(await viewer.getAttribute('data-camera'), cameraBefore);
      const painted = await analyseViewer(page, 'texture-after.png');
      const tolerance = 0.02 * Math.max(painted.width, painted.height);
      for (const side of ['minX', 'minY', 'maxX', 'maxY']) {
        assert.ok(
          Math.abs(painted.box[side] - grey.box[side]) <= tolerance,
          `${side}: grey ${grey.box[side]}, painted ${painted.box[side]}`,
        );
      }
      // And it is painted now: no longer the plain grey.
      const colours = await drawnColours(page, 'texture-after-colours.png');
      assert.ok(
        colours.colouredShare > 0.05,
        `painted mesh has ${(colours.colouredShare * 100).toFixed(1)}% coloured pixels`,
      );
      // A finished model like any: downloadable.
      await page.locator('kiln-download-menu').waitFor({ state: 'attached' });
      // In this browser's history as the mesh it is, painted from the picture.
      const entry = page.locator('[data-testid=history-entry]').first();
      await entry.waitFor();
      assert.equal(
        (await entry.locator('[data-testid=history-name]').textContent())?.trim(),
        'ellipsoid.glb',
      );
      assert.match(
        (await entry.locator('a').getAttribute('aria-label')) ?? '',
        /^ellipsoid\.glb .+: open it, painted from typical_misc_lantern\.png$/,
      );
      await entry.locator('a').click();
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      assert.equal(
        (await page.locator('[data-testid=share-made-from]').textContent())?.trim(),
        'Your mesh ellipsoid.glb, painted from typical_misc_lantern.png in this browser.',
      );
      await page
        .locator('[data-testid=viewer-description]', {
          hasText: 'Your mesh, painted from the picture typical_misc_lantern.png',
        })
        .waitFor({ state: 'attached' });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
