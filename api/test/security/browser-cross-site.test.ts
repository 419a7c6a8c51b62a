import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { AccessIssuer } from '../support/access-issuer';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { type ApiProcess, startApi } from '../support/api-process';
import { GLB_DIR, clearKilnKeys, tempDir } from '../support/env';
import { NO_SIDECAR } from './support';

/**
 * A real Chromium (Debian's, through playwright-core) on a page of another site: the api is
 * http://localhost:<port> (a secure context to Chromium, so it keeps a Secure cookie there), the
 * other site http://127.0.0.1:<port> (another host: another site).
 * What the browser itself does decides these tests: its CORS checks on a model load, and the
 * Sec-Fetch-Site and Origin it puts on a form another site submits, with the Access cookie.
 */
void describe(
  'security: a real browser on another site',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} missing` },
  () => {
    const dir = tempDir('security-browser');
    const modelId = randomUUID();
    let issuer: AccessIssuer;
    let api: ApiProcess;
    let site: Server;
    let siteUrl: string;
    /** The api as the browser names it. */
    let apiUrl: string;
    let browser: Browser;
    /** The other site's only page: whatever HTML the test sets. */
    let page = '';

    before(async () => {
      await clearKilnKeys();
      issuer = await AccessIssuer.start();
      const staticDir = join(dir.path, 'static');
      mkdirSync(staticDir, { recursive: true });
      copyFileSync(join(GLB_DIR, 'generic-trigger-left.glb'), join(staticDir, `${modelId}.glb`));
      api = await startApi({
        staticDir,
        logDir: join(dir.path, 'logs'),
        env: { ...NO_SIDECAR, ...issuer.env() },
        waitReady: false,
      });
      site = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(page));
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
      apiUrl = `http://localhost:${api.port}`;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_ARGS],
      });
    });
    after(async () => {
      await browser?.close();
      await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
      await api?.kill();
      await issuer?.stop();
      await clearKilnKeys();
      dir.remove();
    });

    void it("another site's viewer fetches a shared model with a Range: the browser lets it read the 206 and its Content-Range", async () => {
      page = '<!doctype html><title>viewer</title>';
      const context = await browser.newContext();
      try {
        const tab = await context.newPage();
        await tab.goto(siteUrl);
        const result = await tab.evaluate(async (url) => {
          const response = await fetch(url, { headers: { Range: 'bytes=0-11' } });
          const bytes = new Uint8Array(await response.arrayBuffer());
          return {
            status: response.status,
            range: response.headers.get('content-range'),
            magic: String.fromCharCode(...bytes.slice(0, 4)),
          };
        }, `${apiUrl}/static/${modelId}.glb`);
        assert.equal(result.status, 206);
        assert.match(result.range ?? '', /^bytes 0-11\/\d+$/);
        assert.equal(result.magic, 'glTF');
      } finally {
        await context.close();
      }
    });

    void it("attack: another site's page reads the API -> the browser refuses it (no CORS grant)", async () => {
      page = '<!doctype html><title>evil</title>';
      const context = await browser.newContext();
      try {
        const tab = await context.newPage();
        await tab.goto(siteUrl);
        const outcome = await tab.evaluate(async (url) => {
          try {
            await fetch(url);
            return 'read';
          } catch {
            return 'refused';
          }
        }, `${apiUrl}/api/config`);
        assert.equal(outcome, 'refused');
      } finally {
        await context.close();
      }
    });

    void it('attack: another site auto-submits a form POST to /api/generate while the browser holds the Access cookie -> 403', async () => {
      const context = await browser.newContext();
      try {
        // What Access leaves in a signed-in browser, here without a SameSite attribute: for its first
        // two minutes Chromium sends such a cookie with another site's top-level POST ("Lax allowing
        // unsafe"), as it always would a SameSite=None one (an Access setting). The browser delivers
        // the credential; the api must refuse by itself.
        await context.addCookies([
          { name: 'CF_Authorization', value: await issuer.token(), url: apiUrl, httpOnly: true },
        ]);
        page =
          `<!doctype html><form id="f" method="post" enctype="multipart/form-data" action="${apiUrl}/api/generate">` +
          '<input type="hidden" name="quality" value="fast"></form><script>document.getElementById("f").submit()</script>';
        const tab = await context.newPage();
        const answered = tab.waitForResponse((response) => response.url().endsWith('/api/generate'));
        await tab.goto(siteUrl);
        const response = await answered;
        const sent = response.request().headers();
        assert.equal(response.status(), 403, `${await response.text()} (cookie sent: ${'cookie' in sent})`);
        assert.deepEqual(await response.json(), {
          success: false,
          error: 'Cross-site request refused',
          code: 'cross_site_request',
        });
      } finally {
        await context.close();
      }
    });
  },
);
