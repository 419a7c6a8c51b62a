import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lanAddress } from '../support/api-process';
import { sendRaw } from '../support/raw-http';
import { startWith, useSecurityApi } from './support';

/** One connection attempt: 'open' when something answers HTTP, else the error code (ECONNREFUSED). */
async function reach(url: string, localAddress?: string): Promise<string> {
  try {
    await sendRaw(url, { localAddress });
    return 'open';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

const lan = lanAddress();
const noLan = lan === undefined ? 'this machine has no non-loopback IPv4 address' : false;
const FORBIDDEN = { success: false, error: 'Forbidden', code: 'forbidden' };
const TOKEN = 'metrics-security-token-0123456789';

void describe('security: HOST=127.0.0.2, the api reachable on that address only', () => {
  const api = useSecurityApi('host', { HOST: '127.0.0.2' });

  void it('answers on HOST', async () => {
    assert.equal(api().url, `http://127.0.0.2:${api().port}`);
    assert.equal((await sendRaw(`${api().url}/api/config`)).status, 200);
    assert.match(api().output(), new RegExp(`listening on http://127\\.0\\.0\\.2:${api().port}\\b`));
  });

  void it('attack: reaching the api around the edge on another address of the machine -> connection refused', async () => {
    assert.equal(await reach(`http://127.0.0.1:${api().port}/api/config`), 'ECONNREFUSED');
    if (lan !== undefined)
      assert.equal(await reach(`http://${lan}:${api().port}/api/config`), 'ECONNREFUSED');
  });
});

void describe('security: HOST values', () => {
  void it('HOST=a host name (some shells export the machine name) -> exit 1, naming HOST', () => {
    const started = startWith({ HOST: 'kiln-box' });
    assert.equal(started.status, 1, started.stderr);
    assert.match(started.stderr, /^Invalid configuration: HOST must be an IP address/m);
  });
});

void describe('security: /metrics without METRICS_TOKEN (HOST unset: every interface)', () => {
  const api = useSecurityApi('metrics-open', {});

  void it('a scraper on this machine (loopback, nothing forwarded) gets the metrics', async () => {
    const reply = await sendRaw(`${api().url}/metrics`);
    assert.equal(reply.status, 200, reply.body);
    assert.match(reply.body, /^# HELP /m);
  });

  void it('attack: a LAN peer asks for /metrics -> 403 Forbidden', { skip: noLan }, async () => {
    const reply = await sendRaw(`http://${lan}:${api().port}/metrics`, { localAddress: lan });
    assert.deepEqual([reply.status, JSON.parse(reply.body)], [403, FORBIDDEN]);
  });

  void it(
    'attack: a LAN peer forges X-Forwarded-For: 127.0.0.1 -> still 403 (the socket decides, not a header)',
    { skip: noLan },
    async () => {
      const reply = await sendRaw(`http://${lan}:${api().port}/metrics`, {
        localAddress: lan,
        headers: { 'X-Forwarded-For': '127.0.0.1', 'CF-Connecting-IP': '127.0.0.1' },
      });
      assert.equal(reply.status, 403, reply.body);
    },
  );

  void it('attack: a visitor through a cloudflared on this machine (loopback peer, CF-Connecting-IP added) -> 403', async () => {
    const relayed: Record<string, string>[] = [
      { 'CF-Connecting-IP': '203.0.113.7', 'X-Forwarded-For': '203.0.113.7' },
      { 'X-Forwarded-For': '203.0.113.7' },
      { 'Cf-Ray': '8a1b2c3d4e5f-AMS' },
      { Forwarded: 'for=203.0.113.7' },
    ];
    for (const headers of relayed) {
      const reply = await sendRaw(`${api().url}/metrics`, { headers });
      assert.equal(reply.status, 403, JSON.stringify(headers));
    }
  });

  void it(
    'attack: the same through other spellings of the path (/metrics/, a query, /METRICS) -> no metrics',
    { skip: noLan },
    async () => {
      for (const path of ['/metrics/', '/metrics?x=1', '/METRICS', '/Metrics/']) {
        const reply = await sendRaw(`http://${lan}:${api().port}${path}`, { localAddress: lan });
        assert.notEqual(reply.status, 200, path);
        assert.doesNotMatch(reply.body, /# HELP/, path);
      }
    },
  );
});

void describe('security: /metrics with METRICS_TOKEN', () => {
  const api = useSecurityApi('metrics-token', { METRICS_TOKEN: TOKEN });

  void it('a LAN scraper with the token gets the metrics; without it 401', { skip: noLan }, async () => {
    const url = `http://${lan}:${api().port}/metrics`;
    const withToken = await sendRaw(url, {
      localAddress: lan,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(withToken.status, 200, withToken.body);
    assert.equal((await sendRaw(url, { localAddress: lan })).status, 401);
  });

  void it('attack: a loopback request without the token -> 401 (the token, once set, is asked of everyone)', async () => {
    assert.equal((await sendRaw(`${api().url}/metrics`)).status, 401);
  });
});
