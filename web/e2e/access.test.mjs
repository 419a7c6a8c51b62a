// The web app under Cloudflare Access: the browser carries Access's CF_Authorization cookie, and
// same-origin fetch (upload, polling) and EventSource (progress) send it, so a generation runs
// to `completed` with access control on. The "team" is this test's own: an RS256 key pair made
// here, its JWKS served from a local https server (the api's CF_ACCESS_CERTS_URL, which must be
// https) with a self-signed certificate the api trusts through NODE_EXTRA_CA_CERTS, tokens minted
// with jose the way Access mints them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SignJWT, exportJWK, generateKeyPair } from 'jose';

import { SAMPLES_DIR, launchBrowser, newPage, saveArtifact, startApi } from './helpers.mjs';

const TEAM = 'kiln-web-test.cloudflareaccess.com';
const AUD = 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed';

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), in a folder of its own. */
function selfSigned() {
  const dir = mkdtempSync(join(tmpdir(), 'kiln3d-web-tls-'));
  const [keyPath, certPath] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ].concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']),
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  return {
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    certPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A local stand-in for https://<team>.cloudflareaccess.com/cdn-cgi/access/certs, and a minter. */
async function startTeam() {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'web-test-key', alg: 'RS256', use: 'sig' };
  const tls = selfSigned();
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url !== '/cdn-cgi/access/certs') return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    certsUrl: `https://127.0.0.1:${server.address().port}/cdn-cgi/access/certs`,
    caFile: tls.certPath,
    token: () =>
      new SignJWT({ email: 'family@example.org', type: 'app' })
        .setProtectedHeader({ alg: 'RS256', kid: 'web-test-key' })
        .setIssuer(`https://${TEAM}`)
        .setAudience(AUD)
        .setSubject('web-test-user')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
    stop: () => new Promise((r) => server.close(r)).then(tls.remove),
  };
}

describe('the web app under Cloudflare Access', () => {
  let team;
  let api;
  let browser;

  before(async () => {
    team = await startTeam();
    api = await startApi({
      SIMULATE_SECONDS: '3',
      CF_ACCESS_TEAM_DOMAIN: TEAM,
      CF_ACCESS_AUD: AUD,
      CF_ACCESS_CERTS_URL: team.certsUrl,
      NODE_EXTRA_CA_CERTS: team.caFile,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
    await team?.stop();
  });

  /** Picks the lantern on the home page and presses Generate; resolves the upload's response. */
  async function generate(page) {
    await page.goto(api.baseUrl);
    await page
      .locator('[data-testid=file-input]')
      .setInputFiles(join(SAMPLES_DIR, 'typical_misc_lantern.png'));
    await page.locator('[data-testid=thumbnail]').waitFor();
    const accepted = page.waitForResponse((r) => r.url().endsWith('/api/generate'));
    await page.locator('[data-testid=generate]').click();
    return accepted;
  }

  test('without the Access cookie the upload is refused (401), and the page says to sign in', async () => {
    const { context, page } = await newPage(browser);
    try {
      assert.equal((await generate(page)).status(), 401);
      const failed = page.locator('[data-testid=status-failed]');
      await failed.waitFor();
      assert.equal(await failed.getAttribute('data-error-code'), 'unauthorized');
      assert.match((await failed.textContent()) ?? '', /Sign in again/);
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
