// The web app under Cloudflare Access: the browser carries Access's CF_Authorization cookie, and
// same-origin fetch (upload, polling) and EventSource (progress) send it, so a generation runs
// to `completed` with access control on. The "team" is the api suites' AccessIssuer: an RS256 key
// pair made for the run, its JWKS served from a local https server (the api's CF_ACCESS_CERTS_URL,
// which must be https) with a self-signed certificate the api trusts through NODE_EXTRA_CA_CERTS,
// tokens minted with jose the way Access mints them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { apiSupport, launchBrowser, newPage, pickAndGenerate, saveArtifact, startApi } from './helpers.mjs';

describe('the web app under Cloudflare Access', () => {
  let team;
  let api;
  let browser;

  before(async () => {
    // The api suites' stand-in for the Access team (api/test/support/access-issuer.ts).
    const { AccessIssuer } = await apiSupport('access-issuer');
    team = await AccessIssuer.start();
    api = await startApi({ SIMULATE_SECONDS: '3', ...team.env() });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
    await team?.stop();
  });

  /** Opens the home page, picks the lantern and presses Generate; resolves the upload's response. */
  async function generate(page) {
    await page.goto(api.baseUrl);
    return pickAndGenerate(page);
  }

  test('without the Access cookie the upload is refused (401), and the page says to sign in where asked', async () => {
    const { context, page } = await newPage(browser);
    try {
      assert.equal((await generate(page)).status(), 401);
      const failed = page.locator('[data-testid=status-failed]');
      await failed.waitFor();
      assert.equal(await failed.getAttribute('data-error-code'), 'unauthorized');
      assert.match((await failed.textContent()) ?? '', /If it asks you to sign in, sign in/);
    } finally {
      await context.close();
    }
  });

  test('a watch link opened without the cookie says the model is not shown to visitors, and stops asking', async () => {
    const { context, page, errors } = await newPage(browser);
    const asked = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (/^\/api\/(tasks|status)\//.test(path)) asked.push(path);
    });
    try {
      await page.goto(`${api.baseUrl}/t/${randomUUID()}`);
      await page
        .getByRole('heading', { name: 'This model is not shown to visitors' })
        .waitFor({ timeout: 15_000 })
        .catch(async (error) => {
          await saveArtifact('access-watch-link.png', await page.screenshot());
          throw new Error(
            `${error.message}\n${await page.locator('main').textContent()}\nasked: ${asked.join(', ')}`,
          );
        });
      const failed = page.locator('[data-testid=status-failed]');
      assert.equal(await failed.getAttribute('data-error-code'), 'unauthorized');
      assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /reconnecting/i);
      const settled = asked.length;
      await new Promise((resolve) => setTimeout(resolve, 6000));
      assert.equal(asked.length, settled, `asked again: ${asked.join(', ')}`);
      assert.ok(settled <= 4, `asked ${settled} times: ${asked.join(', ')}`);
      assert.deepEqual(
        errors.filter((e) => !/401/.test(e)),
        [],
      );
    } finally {
      await context.close();
    }
  });

  test('with the CF_Authorization cookie: upload, live progress over EventSource, completed, the model drawn', async () => {
    const { context, page, errors } = await newPage(browser);
    try {
      // What Access sets after its login: an HttpOnly cookie on the application's host.
      await context.addCookies([
        {
          name: 'CF_Authorization',
          value: await team.token(),
          url: api.baseUrl,
          httpOnly: true,
          sameSite: 'Lax',
        },
      ]);
      const streams = [];
      page.on('response', (r) => r.url().includes('/api/status/') && streams.push(r.status()));
      assert.equal((await generate(page)).status(), 202);
      await page.locator('[data-testid=status-completed]').waitFor({ timeout: 60_000 });
      await page.locator('kiln-model-viewer[data-state=ready]').waitFor({ timeout: 60_000 });
      await saveArtifact('access-completed.png', await page.screenshot());
      assert.ok(streams.length > 0 && streams.every((s) => s === 200), `event stream answers: ${streams}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
