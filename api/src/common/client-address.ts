import { isIP } from 'node:net';
import type { Request } from 'express';
import { isLoopbackAddress } from '../config/loopback';

/** Express's compiled 'trust proxy' setting: is the hop-th address from the socket trusted? */
type TrustFn = (address: string, hop: number) => boolean;

/**
 * The address of the client behind a request (for logs and per-client limits).
 * CF-Connecting-IP (set by Cloudflare's edge and passed on by cloudflared) counts only when the
 * peer that sent the request is trusted under the app's 'trust proxy' setting (TRUST_PROXY) and
 * the header holds one valid IPv4/IPv6 address; otherwise Express's req.ip, which already honours
 * X-Forwarded-For from trusted peers only. So a stranger cannot choose the address by a header.
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1, from a dual-stack listener) reads as IPv4, so
 * one client has one address whichever way it connected.
 */
export function clientAddress(req: Pick<Request, 'app' | 'headers' | 'ip' | 'socket'>): string {
  const fallback = unmapped(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const peer = req.socket.remoteAddress;
  const header = req.headers['cf-connecting-ip'];
  if (peer === undefined || typeof header !== 'string') return fallback;
  const trust = req.app.get('trust proxy fn') as TrustFn;
  if (!trust(peer, 0)) return fallback;
  const address = header.trim();
  return isIP(address) !== 0 ? address : fallback;
}

/** An IPv4-mapped IPv6 address (::ffff:192.0.2.1) as its IPv4 address; any other as it is. */
export function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * The key per-client limits count under (docs/design.md, HTTP contract): an IPv4 address as it
 * is; an IPv6 address by its /64 network, because one home or phone gets a whole /64 (RFC 6177,
 * and SLAAC's privacy addresses rotate within it), so counting single IPv6 addresses would let
 * one household take a fresh address per request. Anything else ('unknown') as it is.
 * e.g. 2001:db8:1:2:a:b:c:d -> "2001:db8:1:2::/64".
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head, tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms) is two groups; it only ever sits after the /64.
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const network = groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  return `${network.join(':')}::/64`;
}

/** What an IPv6 /48 site (siteKey), all its /64s together, may hold of a per-client limit: this many clients' worth. */
export const SITE_SHARE = 4;

/**
 * The IPv6 site (/48) a limitKey /64 lies in: "2001:db8:1:2::/64" -> "2001:db8:1::/48"; undefined
 * for an IPv4 address or anything else. A site's whole allocation is a /48 at most (RFC 6177; a
 * home's is often a /56 inside it), and a free tunnel broker hands anyone one: 65,536 /64s, each a
 * client of its own to limits that count per /64 (a trial took 300 repeats and 2,000 event streams
 * so), so the upload rate and the event streams count per site too, at SITE_SHARE clients' worth.
 */
export function siteKey(limitKey: string): string | undefined {
  const network = /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):[0-9a-f]{1,4}::\/64$/.exec(limitKey);
  return network ? `${network[1]}:${network[2]}:${network[3]}::/48` : undefined;
}

/**
 * Headers a proxy adds on the way in: a request carrying any of them was relayed (by cloudflared,
 * nginx, ...) for someone else, whatever the socket's address says.
 */
export const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'cf-connecting-ip', 'cf-ray'] as const;

/**
 * True when the request comes from this machine itself: the socket's peer is loopback (never a
 * forwarded address) and no proxy relayed it (FORWARDING_HEADERS): a cloudflared on this
 * machine connects from loopback too, but Cloudflare's edge always adds CF-Connecting-IP and
 * X-Forwarded-For, which a visitor cannot remove.
 */
export function isLocalRequest(req: Pick<Request, 'headers' | 'socket'>): boolean {
  return (
    isLoopbackAddress(req.socket.remoteAddress) &&
    FORWARDING_HEADERS.every((name) => req.headers[name] === undefined)
  );
}
