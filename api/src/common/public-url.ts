import type { Request } from 'express';

/**
 * Base URL (scheme://host, no trailing slash) for URLs handed to clients: PUBLIC_BASE_URL when
 * set, else the request's own. req.protocol and req.host already honour X-Forwarded-Proto/Host
 * only for peers Express trusts ('trust proxy'), so a stranger cannot forge them.
 */
export function requestBaseUrl(
  publicBaseUrl: string | undefined,
  req: Pick<Request, 'protocol' | 'host'>,
): string {
  if (publicBaseUrl !== undefined) return publicBaseUrl.replace(/\/+$/, '');
  const host = req.host || 'localhost';
  return `${req.protocol}://${host}`;
}

/** Joins a base URL and an absolute path ("/static/x.glb"). */
export function absoluteUrl(baseUrl: string, path: string): string {
  // Already absolute: a model in a public bucket (STORAGE_PUBLIC_URL).
  if (/^https?:\/\//.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}
