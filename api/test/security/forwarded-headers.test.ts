import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lanAddress } from '../support/api-process';
import { sendRaw } from '../support/raw-http';
import { postPicture, startWith, useSecurityApi } from './support';

/**
 * Forwarding headers (CF-Connecting-IP, X-Forwarded-For, -Host, -Proto) are believed only from
 * the proxies TRUST_PROXY lists (docs/design.md, Operations). The test plays several peers from
 * loopback aliases: 127.0.0.2 is the listed proxy (a cloudflared), 127.0.0.3 and 127.0.0.4 are
 * strangers who reach the api directly (around the edge) with forged headers.
 */
const PROXY = '127.0.0.2';
const STRANGER = '127.0.0.3';
const OTHER_STRANGER = '127.0.0.4';

void describe('security: forged forwarding headers (TRUST_PROXY=127.0.0.2, one upload a minute per client)', () => {
  const api = useSecurityApi('forwarded', { TRUST_PROXY: PROXY, UPLOADS_PER_MINUTE: '1' });

  void it('attack: a stranger forges a new CF-Connecting-IP per upload to escape the per-client limit -> still one client, 429', async () => {
    const first = await postPicture(api().url, { 'CF-Connecting-IP': '203.0.113.10' }, STRANGER);
    assert.equal(first.status, 202, first.body);
    const second = await postPicture(api().url, { 'CF-Connecting-IP': '203.0.113.11' }, STRANGER);
    assert.equal(second.status, 429, second.body);
    assert.match(api().output(), new RegExp(`client=${STRANGER.replace(/\./g, '\\.')}\\b`));
    assert.doesNotMatch(api().output(), /client=203\.0\.113\.1[01]\b/);
  });

  void it('attack: a stranger forges X-Forwarded-For to escape the per-client limit -> still one client, 429', async () => {
    const first = await postPicture(api().url, { 'X-Forwarded-For': '198.51.100.1' }, OTHER_STRANGER);
    assert.equal(first.status, 202, first.body);
    const second = await postPicture(
      api().url,
      { 'X-Forwarded-For': '198.51.100.2, 127.0.0.2' },
      OTHER_STRANGER,
    );
    assert.equal(second.status, 429, second.body);
  });

  void it("the listed proxy's CF-Connecting-IP is believed: two visitors behind it are two clients, each limited", async () => {
    const a = await postPicture(api().url, { 'CF-Connecting-IP': '203.0.113.20' }, PROXY);
    const b = await postPicture(api().url, { 'CF-Connecting-IP': '203.0.113.21' }, PROXY);
    assert.deepEqual([a.status, b.status], [202, 202], `${a.body} ${b.body}`);
    const again = await postPicture(api().url, { 'CF-Connecting-IP': '203.0.113.20' }, PROXY);
    assert.equal(again.status, 429, again.body);
    assert.match(api().output(), /client=203\.0\.113\.20\b/);
  });

  void it("attack: a visitor's own X-Forwarded-Host passed on by the trusted cloudflared does not choose the URLs handed back", async () => {
    // What Cloudflare's edge and cloudflared deliver: the public Host, CF-Connecting-IP, X-Forwarded-Proto,
    // and whatever X-Forwarded-Host the visitor put in the request.
    const reply = await postPicture(
      api().url,
      {
        Host: '3d.example.com',
        'CF-Connecting-IP': '203.0.113.30',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'evil.example',
      },
      PROXY,
    );
    assert.equal(reply.status, 202, reply.body);
    assert.match(
      (JSON.parse(reply.body) as { status_url: string }).status_url,
      /^https:\/\/3d\.example\.com\/api\/status\//,
    );
  });

  void it('attack: a stranger forges X-Forwarded-Host and -Proto directly -> ignored, the URLs keep the Host header and http', async () => {
    const reply = await postPicture(
      api().url,
      { Host: 'kiln.lan:8000', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example' },
      '127.0.0.5',
    );
    assert.equal(reply.status, 202, reply.body);
    assert.match(
      (JSON.parse(reply.body) as { status_url: string }).status_url,
      /^http:\/\/kiln\.lan:8000\/api\/status\//,
    );
  });
});

void describe('security: TRUST_PROXY settings that would believe anyone are refused at start', () => {
  for (const value of ['true', '1', '2']) {
    void it(`attack surface: TRUST_PROXY=${value} (believes whoever connects) -> exit 1, naming TRUST_PROXY`, () => {
      const started = startWith({ TRUST_PROXY: value, PUBLIC_BASE_URL: 'https://3d.example.com' });
      assert.equal(started.status, 1, started.stderr);
      assert.match(started.stderr, /^Invalid configuration: TRUST_PROXY must list the proxies' addresses/m);
    });
  }

  void it('TRUST_PROXY beyond loopback without PUBLIC_BASE_URL -> exit 1, naming both variables', () => {
    const started = startWith({ TRUST_PROXY: '172.31.87.10' });
    assert.equal(started.status, 1, started.stderr);
    assert.match(
      started.stderr,
      /^Invalid configuration: PUBLIC_BASE_URL is required when TRUST_PROXY trusts a proxy beyond loopback/m,
    );
  });
});

const lan = lanAddress();

void describe(
  'security: a trusted proxy beyond loopback (the LAN address listed), PUBLIC_BASE_URL set',
  { skip: lan === undefined ? 'this machine has no non-loopback IPv4 address' : false },
  () => {
    const api = useSecurityApi('forwarded-lan', {
      TRUST_PROXY: lan ?? '',
      PUBLIC_BASE_URL: 'https://3d.example.com',
    });

    void it('attack: X-Forwarded-Host injected through a trusted proxy -> every URL still names PUBLIC_BASE_URL', async () => {
      const url = api().url.replace('127.0.0.1', lan ?? '');
      const reply = await postPicture(
        url,
        { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' },
        lan,
      );
      assert.equal(reply.status, 202, reply.body);
      const { status_url: statusUrl, task_id: taskId } = JSON.parse(reply.body) as {
        status_url: string;
        task_id: string;
      };
      assert.equal(statusUrl, `https://3d.example.com/api/status/${taskId}`);
      const task = await sendRaw(`${url}/api/tasks/${taskId}`, {
        headers: { 'X-Forwarded-Host': 'evil.example' },
        localAddress: lan,
      });
      assert.doesNotMatch(task.body, /evil\.example/);
    });
  },
);
