import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessIssuer } from '../support/access-issuer';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir } from '../support/env';
import { type RawReply, sendRaw } from '../support/raw-http';
import { NO_SIDECAR, postPicture, startWith } from './support';

const KEY = 'security-api-key-0123456789';
const UNAUTHORIZED = { success: false, error: 'Unauthorized', code: 'unauthorized' };
const CROSS_SITE = { success: false, error: 'Cross-site request refused', code: 'cross_site_request' };
/** What a browser adds to a form POST another site made (a hidden auto-submitted form). */
const FROM_EVIL = {
  Origin: 'https://evil.example',
  'Sec-Fetch-Site': 'cross-site',
  'Sec-Fetch-Mode': 'navigate',
};

function assertStatus(reply: RawReply, status: number, body: unknown, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.body}`);
  assert.deepEqual(JSON.parse(reply.body), body, what);
}

/**
 * Cloudflare Access tokens against a real api process: an Access "team" of the test's own
 * (AccessIssuer: an RS256 key pair, its key set on https with a certificate the api trusts
 * through NODE_EXTRA_CA_CERTS). `guarded` has Access and an API key on; `open` has access
 * control off (Access only at the edge).
 */
void describe('security: Cloudflare Access tokens and cross-site requests', () => {
  const dir = tempDir('security-access');
  let issuer: AccessIssuer;
  let guarded: ApiProcess;
  let open: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    issuer = await AccessIssuer.start();
    const start = (name: string, env: Record<string, string>) =>
      startApi({
        staticDir: `${dir.path}/static`,
        logDir: `${dir.path}/${name}/logs`,
        env: { ...NO_SIDECAR, MAX_QUEUE: '50', ...env },
        waitReady: false,
      });
    [guarded, open] = await Promise.all([
      start('guarded', { ...issuer.env(), API_KEYS: KEY, PUBLIC_BASE_URL: 'https://3d.example.com' }),
      start('open', {}),
    ]);
  });
  after(async () => {
    await Promise.all([guarded?.kill(), open?.kill()]);
    await issuer?.stop();
    await clearKilnKeys();
    dir.remove();
  });

  void it('a valid token (header or cookie) from this site passes: 202', async () => {
    const token = await issuer.token();
    assert.equal((await postPicture(guarded.url, { 'Cf-Access-Jwt-Assertion': token })).status, 202);
    const cookie = await postPicture(guarded.url, {
      Cookie: `CF_Authorization=${token}`,
      Origin: 'https://3d.example.com',
      'Sec-Fetch-Site': 'same-origin',
    });
    assert.equal(cookie.status, 202, cookie.body);
  });

  void it('attack: a token without exp (it would never lapse) -> 401', async () => {
    const token = await issuer.token({ expiresInS: null });
    assertStatus(
      await postPicture(guarded.url, { 'Cf-Access-Jwt-Assertion': token }),
      401,
      UNAUTHORIZED,
      'header',
    );
    assertStatus(
      await postPicture(guarded.url, { Cookie: `CF_Authorization=${token}` }),
      401,
      UNAUTHORIZED,
      'cookie',
    );
  });

  void it('attack: an expired token (an hour ago, past the 60 s tolerance) -> 401', async () => {
    const token = await issuer.token({ expiresInS: -3600 });
    assertStatus(
      await postPicture(guarded.url, { 'Cf-Access-Jwt-Assertion': token }),
      401,
      UNAUTHORIZED,
      'expired',
    );
  });

  void it('attack: a valid token of the same team for another application (wrong aud) -> 401', async () => {
    const token = await issuer.token({ audience: 'another-application-of-the-team' });
    assertStatus(
      await postPicture(guarded.url, { 'Cf-Access-Jwt-Assertion': token }),
      401,
      UNAUTHORIZED,
      'aud',
    );
  });

  void it('attack: CF_ACCESS_CERTS_URL over http (a key set that could be swapped on the way) -> exit 1 at start', () => {
    const started = startWith({
      CF_ACCESS_TEAM_DOMAIN: AccessIssuer.TEAM,
      CF_ACCESS_AUD: AccessIssuer.AUD,
      CF_ACCESS_CERTS_URL: 'http://127.0.0.1:9/cdn-cgi/access/certs',
    });
    assert.equal(started.status, 1, started.stderr);
    assert.match(started.stderr, /^Invalid configuration: CF_ACCESS_CERTS_URL must use https:/m);
  });

  void it('attack: a cross-site form POST carrying the CF_Authorization cookie (CSRF) -> 403, no task', async () => {
    const reply = await postPicture(guarded.url, {
      ...FROM_EVIL,
      Cookie: `CF_Authorization=${await issuer.token()}`,
    });
    assertStatus(reply, 403, CROSS_SITE, 'cross-site POST');
  });

  void it("attack: the same through Access's edge (it turns the cookie into Cf-Access-Jwt-Assertion) -> 403", async () => {
    const reply = await postPicture(guarded.url, {
      ...FROM_EVIL,
      'Cf-Access-Jwt-Assertion': await issuer.token(),
    });
    assertStatus(reply, 403, CROSS_SITE, 'cross-site POST, header');
  });

  void it('attack: a cross-site POST from a browser without Sec-Fetch-Site (Origin only) -> 403', async () => {
    const reply = await postPicture(guarded.url, {
      Origin: 'https://evil.example',
      Cookie: `CF_Authorization=${await issuer.token()}`,
    });
    assertStatus(reply, 403, CROSS_SITE, 'Origin only');
  });

  void it("attack: a cross-site DELETE of a task with the cookie (cancelling someone's job) -> 403", async () => {
    const accepted = await postPicture(guarded.url, { Authorization: `Bearer ${KEY}` });
    const { task_id: id } = JSON.parse(accepted.body) as { task_id: string };
    const reply = await sendRaw(`${guarded.url}/api/tasks/${id}`, {
      method: 'DELETE',
      headers: { ...FROM_EVIL, Cookie: `CF_Authorization=${await issuer.token()}` },
    });
    assertStatus(reply, 403, CROSS_SITE, 'cross-site DELETE');
  });

  void it("an older browser's same-origin POST (no Sec-Fetch-Site, Origin naming the host) passes: 202", async () => {
    const port = new URL(guarded.url).port;
    const reply = await postPicture(guarded.url, {
      Origin: `http://127.0.0.1:${port}`,
      Cookie: `CF_Authorization=${await issuer.token()}`,
    });
    assert.equal(reply.status, 202, reply.body);
  });

  void it('a cross-site POST with an API key (no ambient credential: a script) passes: 202', async () => {
    const reply = await postPicture(guarded.url, { ...FROM_EVIL, Authorization: `Bearer ${KEY}` });
    assert.equal(reply.status, 202, reply.body);
  });

  void it('attack: access control off, Access only at the edge: a cross-site POST with the cookie -> 403', async () => {
    const reply = await postPicture(open.url, {
      ...FROM_EVIL,
      Cookie: 'CF_Authorization=whatever-the-edge-checked',
    });
    assertStatus(reply, 403, CROSS_SITE, 'open api');
    assert.equal(
      (await postPicture(open.url, { ...FROM_EVIL })).status,
      202,
      'no credential: nothing to forge',
    );
  });
});
