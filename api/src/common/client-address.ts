import { isIP } from 'node:net';
import type { Request } from 'express';

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

function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}
