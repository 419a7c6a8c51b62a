import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where the api may send a request a stranger chose (a webhook's `callback_url`) or the owner
 * chose (WEBHOOK_URL): the SSRF policy (docs/security.md, `webhook-ssrf`). A folder of its own
 * that imports nothing of the api: config/ checks WEBHOOK_URL at start with the same rules the
 * intake applies to a `callback_url` (webhooks/ imports config/, so the rules cannot live there).
 *
 * Two halves: the URL's form (checkOutboundUrl: scheme, length, credentials, a literal address),
 * judged before anything is queued, and the address a name resolves to (forbiddenAddressReason),
 * judged on every connection by webhooks/guarded-lookup.ts, since DNS can change.
 */

/** The longest URL accepted, in characters (as sent, before the URL parser normalises it). */
export const MAX_OUTBOUND_URL_LENGTH = 2048;

/** A URL refused by the policy; `rule` is what the 400 says after "Invalid callback_url: ". */
export class OutboundUrlRefusal extends Error {
  constructor(readonly rule: string) {
    super(rule);
    this.name = 'OutboundUrlRefusal';
  }
}

/**
 * The ranges ipaddr.js names (its `range()`), of which only `unicast` (a public, globally routed
 * address) is allowed: loopback, private (RFC 1918), uniqueLocal (fc00::/7), linkLocal
 * (169.254/16, which holds the cloud metadata address 169.254.169.254, and fe80::/10),
 * carrierGradeNat (100.64/10), unspecified, multicast, broadcast, reserved and the IPv6 forms
 * that carry an IPv4 address (ipv4Mapped is unwrapped and judged as IPv4; rfc6052 NAT64, 6to4,
 * teredo are refused whole, as any other special range ipaddr.js knows).
 */
const ALLOWED_RANGE = 'unicast';

/**
 * Why `address` (an IPv4 or IPv6 literal, as a resolver returns it) must not be connected to, or
 * undefined when it is a public unicast address. An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is
 * judged as the IPv4 address it carries. A string that is no IP address is refused
 * ("not an IP address").
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(bare) === 0) return 'not an IP address';
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (range !== ALLOWED_RANGE) return `${RANGE_WORDS[range] ?? range} address ${parsed.toString()}`;
  // ipaddr.js calls every IPv6 address outside its special ranges unicast, the deprecated
  // IPv4-compatible ::/96 (::127.0.0.1, which some stacks route to the IPv4 address) included;
  // only 2000::/3 is global unicast (RFC 4291 2.4, IANA's IPv6 address space registry).
  if (parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_IPV6)) {
    return `non-global IPv6 address ${parsed.toString()} (only 2000::/3 is public)`;
  }
  return undefined;
}

/** IPv6 global unicast, the only IPv6 space a public receiver can have. */
const GLOBAL_UNICAST_IPV6 = ipaddr.parseCIDR('2000::/3');

/** ipaddr.js's range names as people write them (the rest are shown as the library names them). */
const RANGE_WORDS: Readonly<Record<string, string>> = {
  linkLocal: 'link-local',
  uniqueLocal: 'unique local (fc00::/7)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  unspecified: 'unspecified',
  rfc6052: 'NAT64 (64:ff9b::/96)',
  teredo: 'Teredo (2001::/32)',
};

/**
 * The URL a webhook may be sent to, parsed, or OutboundUrlRefusal naming the rule it breaks: a
 * URL at most MAX_OUTBOUND_URL_LENGTH characters, https (http too when `allowPrivate`: a LAN
 * receiver without a certificate), no user name or password in it (it would travel to every
 * redirect and land in logs), and, unless `allowPrivate`, no literal address that is not public
 * unicast (forbiddenAddressReason; the WHATWG parser has already turned 0x7f.1 or 2130706433
 * into 127.0.0.1). A host name is not resolved here: its addresses are judged at each connection.
 */
export function checkOutboundUrl(raw: string, allowPrivate: boolean): URL {
  if (raw.length > MAX_OUTBOUND_URL_LENGTH) {
    throw new OutboundUrlRefusal(`at most ${MAX_OUTBOUND_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlRefusal('an absolute https URL');
  }
  const protocols = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!protocols.includes(url.protocol)) {
    throw new OutboundUrlRefusal(allowPrivate ? 'an http or https URL' : 'an https URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new OutboundUrlRefusal('no user name or password in the URL');
  }
  if (url.hostname === '') throw new OutboundUrlRefusal('an absolute https URL');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) !== 0) {
    const reason = forbiddenAddressReason(host);
    if (reason !== undefined) throw new OutboundUrlRefusal(`a public address, not a ${reason}`);
  }
  return url;
}
