import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { clientAddress, limitKey, siteKey } from './client-address';

/** A real Express app per 'trust proxy' value, answering clientAddress(req) for a real socket. */
async function serve(
  trustProxy: string | boolean,
  host = '127.0.0.1',
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.set('trust proxy', trustProxy);
  app.get('/', (req, res) => {
    res.send(clientAddress(req));
  });
  const server = app.listen(0, host);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`, // a dual-stack listener on '::' sees ::ffff:127.0.0.1
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function addressFor(url: string, headers: Record<string, string>): Promise<string> {
  return (await fetch(url, { headers })).text();
}

void describe('clientAddress', () => {
  let trusted: Awaited<ReturnType<typeof serve>>;
  let untrusted: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    trusted = await serve('loopback');
    untrusted = await serve('10.0.0.1');
  });
  after(async () => {
    await trusted.close();
    await untrusted.close();
  });

  void it('is CF-Connecting-IP when the peer is trusted', async () => {
    assert.equal(await addressFor(trusted.url, { 'CF-Connecting-IP': '203.0.113.7' }), '203.0.113.7');
    assert.equal(await addressFor(trusted.url, { 'CF-Connecting-IP': ' 2001:db8::1 ' }), '2001:db8::1');
  });

  void it('ignores CF-Connecting-IP from an untrusted peer: the socket address', async () => {
    assert.equal(await addressFor(untrusted.url, { 'CF-Connecting-IP': '203.0.113.7' }), '127.0.0.1');
  });

  void it('ignores X-Forwarded-For from an untrusted peer too', async () => {
    assert.equal(await addressFor(untrusted.url, { 'X-Forwarded-For': '198.51.100.9' }), '127.0.0.1');
  });

  void it("falls back to Express's req.ip (X-Forwarded-For from a trusted peer) without the header", async () => {
    assert.equal(await addressFor(trusted.url, { 'X-Forwarded-For': '198.51.100.9' }), '198.51.100.9');
    assert.equal(await addressFor(trusted.url, {}), '127.0.0.1');
  });

  void it('reads an IPv4-mapped peer (dual-stack listener) as IPv4', async () => {
    const dualStack = await serve('10.0.0.1', '::');
    try {
      assert.equal(await addressFor(dualStack.url, { 'CF-Connecting-IP': '203.0.113.7' }), '127.0.0.1');
    } finally {
      await dualStack.close();
    }
  });

  void it('ignores a CF-Connecting-IP that is not one IP address', async () => {
    assert.equal(await addressFor(trusted.url, { 'CF-Connecting-IP': 'evil, 1.2.3.4' }), '127.0.0.1');
    assert.equal(await addressFor(trusted.url, { 'CF-Connecting-IP': 'not-an-ip' }), '127.0.0.1');
  });
});

void describe('siteKey', () => {
  void it("names a /64's /48 site, and nothing for IPv4 or other keys", () => {
    assert.equal(siteKey(limitKey('2001:db8:1:2:a:b:c:d')), '2001:db8:1::/48');
    assert.equal(siteKey(limitKey('2001:db8:1:ffff::1')), '2001:db8:1::/48');
    assert.equal(siteKey(limitKey('::1')), '0:0:0::/48');
    assert.equal(siteKey('203.0.113.7'), undefined);
    assert.equal(siteKey('unknown'), undefined);
  });
});

void describe('limitKey', () => {
  void it('keeps an IPv4 address and anything that is not an address', () => {
    assert.equal(limitKey('203.0.113.7'), '203.0.113.7');
    assert.equal(limitKey('unknown'), 'unknown');
  });

  void it('counts an IPv6 address by its /64, whichever way it is written', () => {
    const key = '2001:db8:1:2::/64';
    for (const address of [
      '2001:db8:1:2:a:b:c:d',
      '2001:0DB8:0001:0002::1',
      '2001:db8:1:2::',
      '2001:db8:1:2:ffff::9',
    ]) {
      assert.equal(limitKey(address), key, address);
    }
    assert.equal(limitKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(limitKey('::1'), '0:0:0:0::/64');
    assert.notEqual(limitKey('2001:db8:1:3::1'), key);
  });
});
