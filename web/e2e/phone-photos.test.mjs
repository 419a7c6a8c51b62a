// Photos from a phone: a picture over the upload limit (or far larger than the engine uses) is
// scaled in the browser, upright, under the limit, and what was done is shown; a picture the
// browser cannot decode is refused before any request, one it can (AVIF) is converted; phones get
// a camera picker.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import sharp from 'sharp';

import { PHONE_VIEWPORT, SAMPLES_DIR, newPage, saveArtifact, useApiAndBrowser } from './helpers.mjs';

const LIMIT = 10 * 1024 * 1024;

/**
 * A 6000x4000 photo of about 14 MB stored sideways with EXIF orientation 6 (upright it is
 * 4000x6000, as a phone held upright writes it): smooth noise, so JPEG cannot shrink it much.
 */
async function sidewaysPhoto() {
  const noise = randomBytes(750 * 500 * 3);
  return sharp(noise, { raw: { width: 750, height: 500, channels: 3 } })
    .resize(6000, 4000, { kernel: 'cubic' })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** About 12 MB of opaque noise as a PNG (2000x2000): over the limit though its size is modest. */
async function noisePng() {
  const noise = randomBytes(2000 * 2000 * 3);
  return sharp(noise, { raw: { width: 2000, height: 2000, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** The api's log line for the upload of task `taskId`: bytes received and the decoded size. */
async function receivedLine(api, taskId) {
  const pattern = new RegExp(`request received task=${taskId} bytes=(\\d+) format=(\\w+) (\\d+)x(\\d+) ->`);
  for (let i = 0; i < 50; i++) {
    const match = pattern.exec(api.output());
    if (match)
      return { bytes: Number(match[1]), format: match[2], width: Number(match[3]), height: Number(match[4]) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no "request received task=${taskId}" line in the api's log`);
}

/**
 * Clicks "Make the 3D model" and waits for the server's answer (202): the task ({ task_id,
 * task_token }) and what the api received, from its log.
 */
async function sendPicture(page, api) {
  const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
  await page.locator('[data-testid=generate]').click();
  const answer = await accepted;
  assert.equal(answer.status(), 202);
  const task = await answer.json();
  return { task, received: await receivedLine(api, task.task_id) };
}

/** Cancels `task` with its token: the bytes the api received were all the test needed. */
async function cancel(api, task) {
  const cancelled = await fetch(`${api.baseUrl}/api/tasks/${task.task_id}`, {
    method: 'DELETE',
    headers: { 'X-Task-Token': task.task_token },
  });
  assert.ok(cancelled.ok, `DELETE answered ${cancelled.status}`);
}

/** Picks `file` on the page, waits for what scaling says; resolves its text and the seconds it took. */
async function pickAndScale(page, file, input = '[data-testid=file-input]') {
  const change = page.locator('[data-testid=picture-change]');
  // A picture already picked has its line: wait for the new picture's.
  const before = (await change.count()) ? await change.textContent() : null;
  const started = Date.now();
  await page.locator(input).setInputFiles(file);
  await page.waitForFunction((old) => {
    const line = document.querySelector('[data-testid=picture-change]');
    return line !== null && line.textContent !== old;
  }, before);
  await page.locator('[data-testid=thumbnail]').waitFor();
  return {
    text: ((await change.textContent()) ?? '').trim(),
    seconds: (Date.now() - started) / 1000,
    // In the page: decoding, drawing and encoding only (not Playwright's transfer of the file).
    inPage: Number(await change.getAttribute('data-seconds')),
  };
}

describe('photos from a phone', () => {
  const app = useApiAndBrowser({ SIMULATE_SECONDS: '2' });
  let photo;
  let png;
  // Written to files: Playwright hands a path to a local Chromium as it is, where a buffer
  // travels through the DevTools protocol as base64 (seconds for 14 MB on a busy machine).
  const dir = mkdtempSync(join(tmpdir(), 'kiln3d-phone-photos-'));
  const photoPath = join(dir, 'IMG_0001.JPG');
  const pngPath = join(dir, 'noise.png');
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(async () => {
    [photo, png] = await Promise.all([sidewaysPhoto(), noisePng()]);
    writeFileSync(photoPath, photo);
    writeFileSync(pngPath, png);
    console.log(
      `made: JPEG ${(photo.length / 1048576).toFixed(1)} MB 6000x4000 (orientation 6), ` +
        `PNG ${(png.length / 1048576).toFixed(1)} MB 2000x2000`,
    );
  });

  test('a 14 MB, 6000 px sideways photo is scaled upright under the limit, shown, accepted and made', async () => {
    assert.ok(photo.length > 13 * 1024 * 1024, `the photo is ${photo.length} bytes`);
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      const scaled = await pickAndScale(page, photoPath);
      console.log(
        `JPEG: "${scaled.text}" in ${scaled.inPage.toFixed(2)} s in the page (${scaled.seconds.toFixed(1)} s from picking the file)`,
      );
      // Upright: 4000 wide, 6000 high; then 3072 px on the longer side.
      assert.match(scaled.text, /^Scaled 4000×6000, 1[34]\.\d MB → 2048×3072, \d+\.\d MB \(JPEG\)\.$/);
      const { received } = await sendPicture(page, app.api);
      console.log(
        `the api received ${received.bytes} bytes, ${received.format} ${received.width}x${received.height}`,
      );
      assert.ok(received.bytes <= LIMIT, `${received.bytes} bytes sent`);
      assert.deepEqual([received.format, received.width, received.height], ['jpeg', 2048, 3072]);
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      await saveArtifact('phone-photo-scaled.png', await page.screenshot());
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a 12 MB noise PNG is scaled under the limit and accepted; a wide transparent one stays PNG', async () => {
    assert.ok(png.length > LIMIT, `the PNG is ${png.length} bytes`);
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      const scaled = await pickAndScale(page, pngPath);
      console.log(
        `PNG: "${scaled.text}" in ${scaled.inPage.toFixed(2)} s in the page (${scaled.seconds.toFixed(1)} s from picking the file)`,
      );
      // Opaque: sent as JPEG at its own size (2000 px is under the 3072 px it would be scaled to).
      assert.match(scaled.text, /^Compressed 2000×2000, 1[12]\.\d MB → 2000×2000, \d+\.\d MB \(JPEG\)\.$/);
      const { received } = await sendPicture(page, app.api);
      assert.ok(received.bytes <= LIMIT, `${received.bytes} bytes sent`);
      assert.equal(received.format, 'jpeg');

      // A wide picture with transparency (over 4096 px, few bytes) keeps its alpha: PNG.
      const wide = await sharp({
        create: { width: 5000, height: 1000, channels: 4, background: { r: 200, g: 90, b: 40, alpha: 0.5 } },
      })
        .png()
        .toBuffer();
      const cutout = await pickAndScale(page, { name: 'cutout.png', mimeType: 'image/png', buffer: wide });
      // A flat colour: a few kB before and after (sizes under 1 MB are written in kB).
      assert.match(cutout.text, /^Scaled 5000×1000, \d+ kB → 3072×614, \d+ kB \(PNG\)\.$/);
      assert.equal(await page.locator('[data-testid=picture-change]').getAttribute('data-reason'), 'pixels');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('on a phone: a labelled camera picker in both modes; an undecodable photo is refused unsent', async () => {
    const { context, page } = await newPage(app.browser, {
      viewport: PHONE_VIEWPORT,
      hasTouch: true,
      isMobile: true,
    });
    try {
      const posts = [];
      page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
      await page.goto(app.api.baseUrl);
      const camera = page.locator('[data-testid=camera]');
      assert.ok(await camera.isVisible(), 'the "Take a photo" button is shown on a touch phone');
      assert.equal((await camera.textContent())?.trim(), 'Take a photo');
      const input = page.locator('[data-testid=camera-input]');
      assert.equal(await input.getAttribute('capture'), 'environment');
      assert.equal(await input.getAttribute('accept'), 'image/*');
      // The button opens the camera picker (a file chooser here).
      const chooser = page.waitForEvent('filechooser');
      await camera.click();
      const fileChooser = await chooser;
      assert.equal(fileChooser.isMultiple(), false);
      // HEIC that this Chromium cannot decode (random bytes): refused, nothing sent.
      await fileChooser.setFiles({
        name: 'IMG_0002.HEIC',
        mimeType: 'image/heic',
        buffer: randomBytes(300_000),
      });
      const error = page.locator('[data-testid=upload-error]');
      await error.waitFor();
      assert.equal(await error.getAttribute('data-error-code'), 'unsupported_image');
      assert.equal(await page.locator('[data-testid=generate]').count(), 0);

      // Paint my own mesh: its picture comes from the camera too, and is scaled the same way.
      await page.locator('[data-testid=mode-texture]').click();
      const again = page.waitForEvent('filechooser');
      await camera.click();
      await (await again).setFiles(photoPath);
      const change = page.locator('[data-testid=picture-change]');
      await change.waitFor();
      assert.match((await change.textContent()) ?? '', /→ 2048×3072, \d+\.\d MB \(JPEG\)/);
      assert.equal(await page.locator('[data-testid=upload-error]').count(), 0);
      await page.locator('[data-testid=texture]').waitFor();
      assert.deepEqual(posts, []);
    } finally {
      await context.close();
    }
  });

  test('an AVIF photo (which the server does not take, and Chromium decodes) is converted and accepted', async () => {
    const avif = await sharp(join(SAMPLES_DIR, 'lantern_on_white.jpg')).avif({ quality: 60 }).toBuffer();
    assert.equal(avif.subarray(4, 12).toString('latin1'), 'ftypavif');
    const { context, page, errors } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      // "Choose a picture" offers AVIF (Chromium decodes it), so a phone's picker shows AVIF photos.
      const input = page.locator('[data-testid=file-input]');
      await page.waitForFunction(() =>
        document.querySelector('[data-testid=file-input]')?.getAttribute('accept')?.includes('image/avif'),
      );
      assert.equal(await input.getAttribute('accept'), 'image/jpeg,image/png,image/webp,image/avif,.avif');
      const converted = await pickAndScale(page, {
        name: 'IMG_0003.avif',
        mimeType: 'image/avif',
        buffer: avif,
      });
      assert.equal(await page.locator('[data-testid=picture-change]').getAttribute('data-reason'), 'format');
      assert.match(converted.text, /^Converted 719×719, \d+ kB → 719×719, \d+ kB \((JPEG|PNG)\)\.$/);
      const { task, received } = await sendPicture(page, app.api);
      assert.ok(['jpeg', 'png'].includes(received.format), received.format);
      assert.deepEqual([received.width, received.height], [719, 719]);
      await cancel(app.api, task);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('on a desktop: no camera button; a picture that fits is sent byte for byte, unscaled', async () => {
    const { context, page } = await newPage(app.browser);
    try {
      await page.goto(app.api.baseUrl);
      await page.locator('[data-testid=dropzone]').waitFor();
      assert.equal(await page.locator('[data-testid=camera]').isVisible(), false);
      assert.equal(await page.locator('[data-testid=camera-input]').count(), 1);
      const sample = join(SAMPLES_DIR, 'lantern_on_white.jpg');
      await page.locator('[data-testid=file-input]').setInputFiles(sample);
      await page.locator('[data-testid=thumbnail]').waitFor();
      assert.equal(await page.locator('[data-testid=picture-change]').count(), 0);
      const { task, received } = await sendPicture(page, app.api);
      assert.equal(received.bytes, statSync(sample).size);
      await cancel(app.api, task);
    } finally {
      await context.close();
    }
  });
});
