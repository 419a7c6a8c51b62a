import type { RequestHandler } from 'express';

/** Response headers a viewer on another origin may read: what ranged and resumable loading needs. */
export const MODEL_EXPOSED_HEADERS = [
  'Accept-Ranges',
  'Content-Range',
  'Content-Length',
  'ETag',
  'Last-Modified',
];
/** Request headers a viewer on another origin may send (beyond the CORS-safelisted ones). */
export const MODEL_ALLOWED_HEADERS = ['Range', 'If-Range', 'If-None-Match', 'If-Modified-Since'];

/**
 * CORS of the models (mounted on /static): a shared model is public (anyone with its URL may
 * fetch it, docs/design.md), so three.js or <model-viewer> on any other site may load it:
 * `Access-Control-Allow-Origin: *` on every answer (never with credentials, so no cookie goes
 * along) and the headers ranged loading reads exposed; a preflight (OPTIONS, e.g. for a Range
 * request) is answered here, 204, and cached by the browser for a day. The same answer for every
 * origin, so an edge cache keeps one copy (no Vary: Origin). The API routes stay same-origin
 * unless CORS_ORIGINS lists an origin (app-setup.ts).
 */
export function modelCors(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', MODEL_EXPOSED_HEADERS.join(', '));
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', MODEL_ALLOWED_HEADERS.join(', '));
    res.setHeader('Access-Control-Max-Age', '86400');
    res.status(204).end();
  };
}
