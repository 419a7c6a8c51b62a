import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_OUTBOUND_URL_LENGTH,
  OutboundUrlRefusal,
  checkOutboundUrl,
  forbiddenAddressReason,
} from './outbound-url-policy';

const refusalOf = (raw: string, allowPrivate = false): string | undefined => {
  try {
    checkOutboundUrl(raw, allowPrivate);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof OutboundUrlRefusal);
    return error.rule;
  }
};

void describe('outbound URL policy (webhooks SSRF)', () => {
  void it('allows public unicast addresses, IPv4 and IPv6, and IPv4-mapped public ones', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
      '[2606:4700::1111]',
    ]) {
      assert.equal(forbiddenAddressReason(address), undefined, address);
    }
  });

  void it('forbids loopback, RFC 1918, fc00::/7, link-local (metadata), CGNAT, unspecified, multicast, and their IPv4-mapped forms', () => {
    const forbidden: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['::1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.20', 'private'],
      ['fc00::1', 'unique local (fc00::/7)'],
      ['fd12:3456::1', 'unique local (fc00::/7)'],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
      ['100.127.255.254', 'carrier-grade NAT (100.64.0.0/10)'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['64:ff9b::a9fe:a9fe', 'NAT64 (64:ff9b::/96)'],
      ['2002:7f00:1::', '6to4'],
      // Written with its IPv4 part, ipaddr.js reads ::/96 as the IPv4 address it carries.
      ['::127.0.0.1', 'loopback'],
    ];
    for (const [address, range] of forbidden) {
      const reason = forbiddenAddressReason(address);
      assert.ok(reason?.startsWith(`${range} address`), `${address}: ${reason}`);
    }
    assert.equal(forbiddenAddressReason('example.com'), 'not an IP address');
    // IPv6 that ipaddr.js calls unicast but is no global unicast (2000::/3): the IPv4-compatible
    // ::/96 (loopback and the metadata address written so), and the rest of the unassigned space.
    for (const address of ['::a9fe:a9fe', '::7f00:1', '::a00:1', '4000::1', 'e000::1']) {
      const reason = forbiddenAddressReason(address);
      assert.ok(reason?.startsWith('non-global IPv6 address'), `${address}: ${reason}`);
    }
  });

  void it('accepts an https URL with a host name or a public address', () => {
    assert.equal(checkOutboundUrl('https://hooks.example.com/kiln?k=1', false).hostname, 'hooks.example.com');
    assert.equal(refusalOf('https://8.8.8.8/hook'), undefined);
    assert.equal(refusalOf('https://[2001:4860:4860::8888]:8443/hook'), undefined);
  });

  void it('refuses what is no absolute URL, plain http, other schemes, credentials and over-long URLs', () => {
    assert.equal(refusalOf('not a url'), 'an absolute https URL');
    assert.equal(refusalOf('/relative/path'), 'an absolute https URL');
    assert.equal(refusalOf('http://hooks.example.com/'), 'an https URL');
    assert.equal(refusalOf('ftp://hooks.example.com/'), 'an https URL');
    assert.equal(refusalOf('file:///etc/passwd'), 'an https URL');
    assert.equal(refusalOf('https://user:pass@hooks.example.com/'), 'no user name or password in the URL');
    assert.equal(refusalOf('https://user@hooks.example.com/'), 'no user name or password in the URL');
    const long = `https://hooks.example.com/${'a'.repeat(MAX_OUTBOUND_URL_LENGTH)}`;
    assert.equal(refusalOf(long), `at most ${MAX_OUTBOUND_URL_LENGTH} characters`);
  });

  void it('refuses literal non-public addresses in every spelling the URL parser normalises', () => {
    for (const raw of [
      'https://127.0.0.1/',
      'https://127.1/',
      'https://2130706433/',
      'https://0x7f.0.0.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::127.0.0.1]/',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.5:8443/',
      'https://[fd00::5]/',
      'https://100.64.1.1/',
      'https://0.0.0.0/',
    ]) {
      assert.match(refusalOf(raw) ?? '', /^a public address, not a /, raw);
    }
  });

  void it('with private addresses allowed (WEBHOOK_ALLOW_PRIVATE): http and LAN addresses pass, the other rules stay', () => {
    assert.equal(refusalOf('http://127.0.0.1:9000/hook', true), undefined);
    assert.equal(refusalOf('http://192.168.1.20/hook', true), undefined);
    assert.equal(refusalOf('ftp://192.168.1.20/', true), 'an http or https URL');
    assert.equal(refusalOf('http://a:b@192.168.1.20/', true), 'no user name or password in the URL');
  });
});
