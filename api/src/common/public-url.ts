import type { Request } from 'express';

/**
 * Base URL (scheme://host, no trailing slash) for URLs handed to clients: PUBLIC_BASE_URL when
 * set, else the request's own. req.protocol and req.host already honour X-Forwarded-Proto/Host
 * only for peers Express trusts ('trust proxy'), so a stranger cannot forge them. One more rule:
 * a request relayed by Cloudflare (it carries CF-Connecting-IP or CF-Ray) takes its host from the
 * Host header, never X-Forwarded-Host: Cloudflare's edge does not set that header, so behind it any
 * X-Forwarded-Host is the visitor's own, passed on by a trusted cloudflared.
 */
export function requestBaseUrl(
  publicBaseUrl: string | undefined,
  req: Pick<Request, 'protocol' | 'host' | 'headers'>,
): string {
  if (publicBaseUrl !== undefined) return publicBaseUrl.replace(/\/+$/, '');
  const viaCloudflare = req.headers['cf-connecting-ip'] !== undefined || req.headers['cf-ray'] !== undefined;
  const host = (viaCloudflare ? req.headers.host : req.host) || 'localhost';
  return `${req.protocol}://${host}`;
}

/** Joins a base URL and an absolute path ("/static/x.glb"). */
export function absoluteUrl(baseUrl: string, path: string): string {
  // Already absolute: a model in a public bucket (STORAGE_PUBLIC_URL).
  if (/^https?:\/\//.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}
