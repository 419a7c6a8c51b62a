import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { AccessIssuer } from '../../test/support/access-issuer';
import { ApiError, ErrorMessage } from '../common/api-error';
import { loadConfig } from '../config/app-config';
import { AccessService, BEARER_CHALLENGE, sameSite } from './access.service';
import { apiKeyMatches, bearerToken } from './api-keys';

const KEY = 'family-key-0123456789abcdef';
const OTHER_KEY = 'second-key-0123456789abcdef';

/** The service's verdict: 'pass', 'cross-site' (403), or the 401's WWW-Authenticate ('' when none). */
async function verdict(
  service: AccessService,
  headers: IncomingHttpHeaders,
  method = 'GET',
): Promise<string> {
  try {
    await service.check({ method, headers });
    return 'pass';
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    if (error.status === 403) {
      assert.equal(error.message, ErrorMessage.crossSite);
      return 'cross-site';
    }
    assert.deepEqual([error.status, error.message], [401, ErrorMessage.unauthorized]);
    return error.headers['WWW-Authenticate'] ?? '';
  }
}

void describe('API keys', () => {
  const digests = [KEY, OTHER_KEY].map((k) => createHash('sha256').update(k).digest('hex'));

  void it('matches any configured key, nothing else', () => {
    assert.equal(apiKeyMatches(KEY, digests), true);
    assert.equal(apiKeyMatches(OTHER_KEY, digests), true);
    for (const wrong of ['', KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase()]) {
      assert.equal(apiKeyMatches(wrong, digests), false, wrong);
    }
    assert.equal(apiKeyMatches(KEY, []), false);
  });

  void it('reads the bearer token whatever the scheme case', () => {
    assert.equal(bearerToken(`Bearer ${KEY}`), KEY);
    assert.equal(bearerToken(` bearer   ${KEY} `), KEY);
    for (const bad of [undefined, '', 'Bearer', `Basic ${KEY}`, `Bearer ${KEY} extra`]) {
      assert.equal(bearerToken(bad), undefined, String(bad));
    }
  });
});

void describe('AccessService', () => {
  let issuer: AccessIssuer;
  before(async () => {
    issuer = await AccessIssuer.start();
  });
  after(() => issuer.stop());

  const service = (env: Record<string, string>): AccessService =>
    new AccessService(loadConfig(env, '/x'), issuer.fetchKeys);

  void it('is off by default: every request passes', async () => {
    const off = service({});
    assert.equal(off.enabled, false);
    assert.equal(await verdict(off, {}), 'pass');
  });

  void it('API keys: the right bearer key passes; none, a wrong one or a token in another header is 401 with a Bearer challenge', async () => {
    const keys = service({
      API_KEYS: `${KEY},sha256:${createHash('sha256').update(OTHER_KEY).digest('hex')}`,
    });
    assert.equal(keys.enabled, true);
    assert.equal(await verdict(keys, { authorization: `Bearer ${KEY}` }), 'pass');
    assert.equal(await verdict(keys, { authorization: `Bearer ${OTHER_KEY}` }), 'pass', 'a key given hashed');
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-key-0123456789' },
      { 'cf-access-jwt-assertion': KEY },
    ]) {
      assert.equal(await verdict(keys, headers), BEARER_CHALLENGE, JSON.stringify(headers));
    }
  });

  void it('Cloudflare Access: a valid token in the header or the CF_Authorization cookie passes', async () => {
    const access = service(issuer.env());
    const token = await issuer.token();
    assert.equal(await verdict(access, { 'cf-access-jwt-assertion': token }), 'pass');
    assert.equal(await verdict(access, { cookie: `theme=dark; CF_Authorization=${token}; other=1` }), 'pass');
  });

  void it('Cloudflare Access: missing, expired, exp-less, wrong-audience, wrong-issuer, foreign-key or malformed tokens are 401 (no Bearer challenge)', async () => {
    const access = service(issuer.env());
    const tokens = [
      await issuer.token({ expiresInS: -3600 }),
      await issuer.token({ expiresInS: null }),
      await issuer.token({ audience: 'another-application-aud' }),
      await issuer.token({ issuer: 'https://other-team.cloudflareaccess.com' }),
      await issuer.token({ foreignKey: true }),
      'not.a.jwt',
    ];
    assert.equal(await verdict(access, {}), '');
    assert.equal(
      await verdict(access, { authorization: `Bearer ${await issuer.token()}` }),
      '',
      'the token only counts where Access puts it',
    );
    for (const token of tokens) {
      assert.equal(await verdict(access, { 'cf-access-jwt-assertion': token }), '', token);
      assert.equal(await verdict(access, { cookie: `CF_Authorization=${token}` }), '', token);
    }
  });

  void it('Cloudflare Access: an unsigned token (alg none) or one signed with the public key as an HMAC secret is refused', async () => {
    const access = service(issuer.env());
    const [header, payload] = (await issuer.token()).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    assert.equal(await verdict(access, { 'cf-access-jwt-assertion': none }), '');
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'kiln-test-key' })).toString('base64url')}.${payload}.${header}`;
    assert.equal(await verdict(access, { 'cf-access-jwt-assertion': hs }), '');
  });

  void it('both modes on: either credential passes; the 401 carries the Bearer challenge', async () => {
    const both = service({ ...issuer.env(), API_KEYS: KEY });
    assert.equal(await verdict(both, { authorization: `Bearer ${KEY}` }), 'pass');
    assert.equal(await verdict(both, { 'cf-access-jwt-assertion': await issuer.token() }), 'pass');
    assert.equal(await verdict(both, { authorization: 'Bearer nope-nope-nope-nope' }), BEARER_CHALLENGE);
  });

  void it('signing keys that cannot be fetched mean 401, not an error', async () => {
    for (const certsUrl of [
      issuer.certsUrl.replace('/certs', '/missing'),
      'https://127.0.0.1:9/cdn-cgi/access/certs',
    ]) {
      const unreachable = service({ ...issuer.env(), CF_ACCESS_CERTS_URL: certsUrl });
      assert.equal(
        await verdict(unreachable, { 'cf-access-jwt-assertion': await issuer.token() }),
        '',
        certsUrl,
      );
    }
  });

  void it('fetches the signing keys once and keeps them', async () => {
    const access = service(issuer.env());
    const before = issuer.certsRequests;
    for (let i = 0; i < 5; i++)
      assert.equal(await verdict(access, { 'cf-access-jwt-assertion': await issuer.token() }), 'pass');
    assert.equal(issuer.certsRequests - before, 1);
  });

  void it('cross-site: a POST or DELETE passing by an Access token (header or cookie) is 403 unless this site sent it', async () => {
    const access = service({ ...issuer.env(), API_KEYS: KEY, PUBLIC_BASE_URL: 'https://3d.example.com' });
    const token = await issuer.token();
    for (const credential of [
      { 'cf-access-jwt-assertion': token },
      { cookie: `CF_Authorization=${token}` },
    ]) {
      for (const method of ['POST', 'DELETE']) {
        const at = (headers: IncomingHttpHeaders): Promise<string> =>
          verdict(access, { ...credential, host: '3d.example.com', ...headers }, method);
        assert.equal(
          await at({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }),
          'cross-site',
        );
        assert.equal(await at({ origin: 'https://evil.example' }), 'cross-site', 'no Sec-Fetch-Site');
        assert.equal(await at({ origin: 'null' }), 'cross-site', 'a sandboxed frame');
        assert.equal(await at({ 'sec-fetch-site': 'same-origin', origin: 'https://3d.example.com' }), 'pass');
        assert.equal(await at({ origin: 'https://3d.example.com' }), 'pass', 'Origin = PUBLIC_BASE_URL');
        assert.equal(await at({}), 'pass', 'no browser (curl, a service token)');
      }
      assert.equal(
        await verdict(access, { ...credential, 'sec-fetch-site': 'cross-site' }, 'GET'),
        'pass',
        'a GET changes nothing',
      );
    }
    assert.equal(
      await verdict(access, { authorization: `Bearer ${KEY}`, 'sec-fetch-site': 'cross-site' }, 'POST'),
      'pass',
      'an API key is no ambient credential',
    );
  });

  void it('cross-site: with access control off, a POST carrying an Access cookie from another site is still 403', async () => {
    const off = service({});
    const cookie = `CF_Authorization=${await issuer.token()}`;
    assert.equal(await verdict(off, { cookie, 'sec-fetch-site': 'cross-site' }, 'POST'), 'cross-site');
    assert.equal(await verdict(off, { cookie, 'sec-fetch-site': 'same-origin' }, 'POST'), 'pass');
    assert.equal(
      await verdict(off, { 'sec-fetch-site': 'cross-site' }, 'POST'),
      'pass',
      'no credential, nothing to forge',
    );
  });
});

void describe('sameSite', () => {
  void it('believes Sec-Fetch-Site first, then Origin against PUBLIC_BASE_URL or the Host header', () => {
    const base = 'https://3d.example.com';
    assert.equal(sameSite({ 'sec-fetch-site': 'same-site', origin: 'https://evil.example' }, base), true);
    assert.equal(sameSite({ 'sec-fetch-site': 'none' }, base), true);
    assert.equal(sameSite({ 'sec-fetch-site': 'cross-site', origin: base }, base), false);
    assert.equal(sameSite({ origin: 'http://192.168.1.20:8000', host: '192.168.1.20:8000' }, base), true);
    assert.equal(sameSite({ origin: 'http://192.168.1.20:8001', host: '192.168.1.20:8000' }, base), false);
    assert.equal(
      sameSite({ origin: 'https://3d.example.com.evil.example', host: '3d.example.com' }, base),
      false,
    );
    assert.equal(sameSite({ origin: 'file://', host: '3d.example.com' }, undefined), false);
    assert.equal(sameSite({}, undefined), true);
  });
});
