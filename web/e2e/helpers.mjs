/* global WebGLRenderingContext, WebGL2RenderingContext -- used inside the page (reportGpuRenderer) */
// Shared parts of the browser end-to-end tests: the real api as a child process (real Redis,
// real sidecar with INFERENCE_ENGINE=simulate), started by the api suites' own harness, headless
// Chromium, and pixel checks on the canvas.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import Redis from 'ioredis';
import { chromium } from 'playwright-core';
import sharp from 'sharp';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Real inputs kept in the repository (fixtures/README.md says where each comes from). */
export const SAMPLES_DIR = join(ROOT, 'fixtures', 'samples');
export const GLB_DIR = join(ROOT, 'fixtures', 'glb');
export const ARTIFACTS_DIR = join(ROOT, 'test-artifacts', 'web');
/** db 14 belongs to the web tests; it is flushed before each api start. */
export const REDIS_URL = process.env.KILN_E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const API_SUPPORT = join(ROOT, 'dist', 'api-test', 'test', 'support');
const WEB_DIR = join(ROOT, 'dist', 'web', 'browser');

export const PHONE_VIEWPORT = { width: 390, height: 844 };

async function flushRedis() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/**
 * A module of the api suites' test support (api/test/support/<name>.ts, compiled by
 * `npx tsc -p api` into dist/api-test): one harness for every suite. api-process starts the api
 * (dist/api-test/src/main.bundle.js, the api compiled with its tests, bundled); access-issuer is the Cloudflare
 * Access stand-in.
 */
export async function apiSupport(name) {
  const path = join(API_SUPPORT, `${name}.js`);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: run \`npx tsc -p api\` (it compiles the api and its test harness) first`,
    );
  }
  // CommonJS (tsc's output): its exports are the default export's fields.
  return (await import(pathToFileURL(path).href)).default;
}

/**
 * Starts the api (the api suites' startApi: a free port, the real sidecar with
 * INFERENCE_ENGINE=simulate) serving the web build, on a fresh temp STATIC_DIR/LOG_DIR and the
 * flushed Redis database of the web tests; resolves once /api/health says the sidecar is ready.
 * `env` overrides (MAX_QUEUE, JOB_TIMEOUT_S...).
 */
export async function startApi(env = {}) {
  if (!existsSync(join(WEB_DIR, 'index.html'))) {
    throw new Error(`${join(WEB_DIR, 'index.html')} is missing: run the web build (npx ng build) first`);
  }
  const harness = await apiSupport('api-process');
  await flushRedis();
  const workDir = mkdtempSync(join(tmpdir(), 'kiln3d-web-e2e-'));
  const staticDir = join(workDir, 'static');
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir);
  let api;
  try {
    api = await harness.startApi({
      staticDir,
      logDir,
      readyTimeoutMs: 90_000,
      env: {
        REDIS_URL,
        WEB_DIR,
        SIMULATE_SECONDS: '3',
        // The harness turns the per-client limits and instant repeats off, as these suites need.
        ...env,
      },
    });
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  return {
    baseUrl: api.url,
    staticDir,
    output: () => api.output(),
    async stop() {
      // The api's own log, kept beside the screenshots for when a test fails.
      await saveArtifact(`api-${api.port}.log`, api.output().slice(-200_000));
      await api.stop(10_000);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * A plain TCP relay in front of the api whose connections the test can cut, like a phone losing
 * its network for a moment: the browser sees a real dropped connection, the api a real hang-up.
 */
export async function startDropProxy(targetUrl) {
  const target = new URL(targetUrl);
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Cuts every open connection; new ones still go through. */
    dropAll() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      return count;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Where Chromium is and the flags every browser suite and benchmark gives it (the api suites'
 * api/test/support/chromium.ts): `{ executablePath, args }`, for playwright's or puppeteer's launch.
 * Throws when the binary is missing, saying what to install.
 */
export async function chromiumLaunchOptions() {
  const { CHROMIUM, CHROMIUM_ARGS } = await apiSupport('chromium');
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set KILN_CHROMIUM)`);
  }
  return { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] };
}

export async function launchBrowser() {
  return chromium.launch(await chromiumLaunchOptions());
}

/** This test file's Chromium (sharedBrowser), launched at its first use. */
let shared;
// After the file's last test (a hook of the root test, registered once per file).
after(async () => {
  const browser = await shared?.catch(() => undefined);
  await browser?.close();
});

/**
 * One Chromium for the whole test file, launched at the first call and closed after the file's
 * last test: each test opens its own context (newPage), so tests share no cookie, storage or
 * page, only the browser process, which is not started again for every describe.
 */
export function sharedBrowser() {
  shared ??= launchBrowser();
  return shared;
}

/**
 * The api and Chromium for the enclosing describe, as node:test hooks: `before` starts the api
 * (startApi(env)), then takes the file's browser (sharedBrowser()); `after` stops the api.
 * Returns `{ api, browser }`, filled in by the `before` hook (undefined until then, so read
 * them inside tests); a failed start (no build, no Chromium) fails the hook as those helpers throw.
 */
export function useApiAndBrowser(env = {}) {
  const session = { api: undefined, browser: undefined };
  before(async () => {
    session.api = await startApi(env);
    session.browser = await sharedBrowser();
  });
  after(async () => {
    await session.api?.stop();
  });
  return session;
}

/**
 * On the home page already open: picks `picture` (a sample), waits for its thumbnail and presses
 * Make the 3D model; resolves the upload's response (POST /api/generate).
 */
export async function pickAndGenerate(page, picture = 'typical_misc_lantern.png') {
  await page.locator('[data-testid=file-input]').setInputFiles(join(SAMPLES_DIR, picture));
  await page.locator('[data-testid=thumbnail]').waitFor();
  const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
  await page.locator('[data-testid=generate]').click();
  return accepted;
}

/** A page that fails the test on uncaught page errors (collected, checked by the caller). */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  const page = await context.newPage();
  // Generous: these machines run other suites at the same time, and SwiftShader draws on the CPU.
  page.setDefaultTimeout(60_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}

/** A GPU's renderer name, as Chromium on Windows reports an RTX 4090 (WEBGL_debug_renderer_info). */
export const GPU_RENDERER_NAME = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 4090 Direct3D11 vs_5_0 ps_5_0, D3D11)';

/**
 * Makes the pages of `context` report GPU_RENDERER_NAME as WebGL's unmasked renderer, so the
 * viewer takes the path it takes on a GPU (the environment map). A test fake of the name only:
 * getParameter keeps its signature and answers every other parameter itself, and the drawing is
 * still SwiftShader's.
 */
export async function reportGpuRenderer(context) {
  await context.addInitScript((name) => {
    const UNMASKED_RENDERER_WEBGL = 0x9246; // WEBGL_debug_renderer_info
    for (const proto of [WebGLRenderingContext.prototype, WebGL2RenderingContext.prototype]) {
      const getParameter = proto.getParameter;
      proto.getParameter = function (pname) {
        return pname === UNMASKED_RENDERER_WEBGL ? name : getParameter.call(this, pname);
      };
    }
  }, GPU_RENDERER_NAME);
}

export async function saveArtifact(name, bytes) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name.replace(/[^\w.-]+/g, '_'));
  writeFileSync(path, bytes);
  return path;
}

function hexToRgb(hex) {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * A screenshot style (Playwright's `style` option) that hides what the viewer lays over its canvas:
 * the preview's and the LOD's captions, the zoom and turn buttons. What is left is what WebGL drew.
 */
export const CANVAS_ONLY = '.overlay.caption, .view-controls { visibility: hidden !important; }';

/**
 * Screenshot of the viewer canvas, and how much of it the model covers: the share of pixels that
 * differ from the viewer's background colour, and the bounding box of those pixels.
 */
export async function analyseViewer(page, artifactName, viewer = page.locator('kiln-model-viewer')) {
  const canvas = viewer.locator('canvas');
  const background = hexToRgb(await canvas.getAttribute('data-background'));
  // Damping settles and the last frame lands before the picture is taken.
  await page.waitForTimeout(600);
  // Only the model's pixels: captions and buttons laid over the canvas are hidden (CANVAS_ONLY).
  const png = await canvas.screenshot({ style: CANVAS_ONLY });
  await saveArtifact(artifactName, png);
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  let drawn = 0;
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const diff = Math.max(
        Math.abs(data[i] - background[0]),
        Math.abs(data[i + 1] - background[1]),
        Math.abs(data[i + 2] - background[2]),
      );
      if (diff > 12) {
        drawn++;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  const touches = {
    left: minX <= 0,
    top: minY <= 0,
    right: maxX >= width - 1,
    bottom: maxY >= height - 1,
  };
  return { width, height, fraction: drawn / (width * height), box: { minX, minY, maxX, maxY }, touches };
}

/** The page must not scroll sideways: nothing is wider than the viewport. */
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Whether an element is fully inside the viewport once scrolled into view. */
export async function visibleInViewport(locator) {
  await locator.scrollIntoViewIfNeeded();
  return locator.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    // Under a pixel of slack: a layout in fractional pixels (a CJK font's line height) can end
    // 0.23 px past the viewport after scrolling into view, which nobody sees.
    const slack = 0.5;
    return (
      rect.width > 0 &&
      rect.height > 0 &&
      rect.left >= -slack &&
      rect.top >= -slack &&
      rect.right <= window.innerWidth + slack &&
      rect.bottom <= window.innerHeight + slack
    );
  });
}

/**
 * The paths docs/gpu-host.md tells an owner to bypass Cloudflare Access for (the list under "add
 * **Bypass** policies"), as regular expressions: `*` is any run of characters, as in Access paths.
 */
export function accessBypassPaths() {
  const guide = readFileSync(join(ROOT, 'docs', 'gpu-host.md'), 'utf8');
  const start = guide.indexOf('add **Bypass** policies');
  const end = guide.indexOf('Everything else', start);
  assert.ok(start >= 0 && end > start, 'docs/gpu-host.md: no Bypass list');
  const listed = [...guide.slice(start, end).matchAll(/`(\/[^`\s]*)`/g)].map((match) => match[1]);
  return listed.map(
    (path) => new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`),
  );
}
