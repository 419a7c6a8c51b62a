// The Content-Security-Policy the api sends is one the product passes: the web app generating a
// model (three.js, its meshopt WebAssembly decoder, the GLB's textures), the share page of that
// model, and Swagger UI at /api/docs, each working, with zero violations reported by Chromium.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { analyseViewer, newPage, pickAndGenerate, useApiAndBrowser } from './helpers.mjs';

/**
 * A page whose CSP violations are collected twice over: the `securitypolicyviolation` events of
 * every document it loads (reported to the test at once, so a navigation loses none), and
 * Chromium's console messages about the policy (these also cover workers).
 */
async function watchedPage(browser) {
  const opened = await newPage(browser);
  const violations = [];
  await opened.page.exposeFunction('__kilnCspViolation', (report) => violations.push(report));
  await opened.page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      void globalThis.__kilnCspViolation(
        `${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} in ${event.documentURI}`,
      );
    });
  });
  opened.page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  return { ...opened, violations };
}

/** The policy a navigation's response carried: without one, zero violations would prove nothing. */
function cspOf(response) {
  const policy = response?.headers()['content-security-policy'];
  assert.ok(policy, `no Content-Security-Policy on ${response?.url()}`);
  return policy;
}

describe('Content-Security-Policy in Chromium', () => {
  let modelId;
  const app = useApiAndBrowser({ SIMULATE_SECONDS: '3' });

  test('the home page generates a model and draws it with zero violations', async () => {
    const { context, page, errors, violations } = await watchedPage(app.browser);
    try {
      const home = await page.goto(app.api.baseUrl);
      assert.match(cspOf(home), /script-src 'self' 'wasm-unsafe-eval'/);
      assert.equal((await pickAndGenerate(page)).status(), 202);
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const view = await analyseViewer(page, 'csp-generate-model.png');
      assert.ok(view.fraction > 0.03, `model covers ${(view.fraction * 100).toFixed(1)}% of the canvas`);
      const menu = page.locator('kiln-download-menu');
      await menu.waitFor({ state: 'attached' });
      modelId = (await menu.getAttribute('data-model-id')) ?? undefined;
      assert.match(modelId ?? '', /^[0-9a-f-]{36}$/, 'the download menu names the model');
      assert.deepEqual(violations, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("that model's share page draws it with zero violations", async (t) => {
    if (!modelId) return t.skip('needs the model of the previous test');
    const { context, page, errors, violations } = await watchedPage(app.browser);
    try {
      const share = await page.goto(`${app.api.baseUrl}/m/${modelId}`);
      assert.match(cspOf(share), /frame-ancestors 'none'/);
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      const view = await analyseViewer(page, 'csp-share-model.png');
      assert.ok(view.fraction > 0.03, `model covers ${(view.fraction * 100).toFixed(1)}% of the canvas`);
      assert.deepEqual(violations, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('Swagger UI at /api/docs lists the operations with zero violations', async () => {
    const { context, page, errors, violations } = await watchedPage(app.browser);
    try {
      const docs = await page.goto(`${app.api.baseUrl}/api/docs`);
      assert.match(cspOf(docs), /style-src 'self' 'unsafe-inline'/);
      await page.locator('.opblock-summary-path', { hasText: '/api/generate' }).first().waitFor();
      assert.ok((await page.locator('.opblock').count()) >= 5, 'the operations are listed');
      // Opening an operation renders its schemas too (more inline styles, more icons).
      await page.locator('.opblock-summary', { hasText: '/api/generate' }).first().click();
      await page.locator('.opblock-body').first().waitFor();
      assert.deepEqual(violations, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
