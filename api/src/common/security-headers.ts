import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';

type CspDirectives = Record<string, string[]>;

/**
 * The Content-Security-Policy of everything the api answers except Swagger UI: the Angular app,
 * the share page, the JSON routes and the GLBs. Scripts only from this origin, plus
 * 'wasm-unsafe-eval' because three.js' meshopt decoder compiles its inline WebAssembly
 * (no JavaScript eval is allowed). Styles allow 'unsafe-inline' because Angular adds its
 * component styles as <style> elements at run time. blob: for the pictures the page shows before
 * sending and the GLB textures three.js decodes (fetch and <img> of object URLs).
 */
export const APP_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'", 'blob:'],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Swagger UI's own policy (/api/docs and its assets): its page carries inline <style> blocks and
 * style attributes and its stylesheet data: images; it needs no WebAssembly and no blob: fetches.
 */
export const DOCS_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * True when this response goes out over https: a TLS connection, or a trusted proxy's
 * X-Forwarded-Proto (req.protocol honours it only from TRUST_PROXY peers, so a stranger on plain
 * http cannot ask for it). A LAN visitor on http://192.168.1.20:8000 of an instance whose
 * PUBLIC_BASE_URL is https gets neither HSTS nor upgrade-insecure-requests, so the app works there.
 */
function overHttps(req: Request): boolean {
  return req.protocol === 'https';
}

function withUpgrade(directives: CspDirectives, https: boolean): CspDirectives {
  // Upgrading requests on a plain http answer (localhost, a LAN address) would break every fetch.
  return https ? { ...directives, 'upgrade-insecure-requests': [] } : directives;
}

/** Two ready-made middlewares, one for answers over https and one for plain http, picked per request. */
function perScheme(make: (https: boolean) => RequestHandler): RequestHandler {
  const https = make(true);
  const plain = make(false);
  return (req, res, next) => (overHttps(req) ? https : plain)(req, res, next);
}

/**
 * helmet's headers for every response: APP_CSP, X-Content-Type-Options nosniff,
 * X-Frame-Options DENY (with frame-ancestors 'none': nothing of ours is meant to be framed),
 * Referrer-Policy strict-origin-when-cross-origin (other sites see our origin, never a share
 * page's path; no-referrer would also turn the Origin of our own POSTs into "null"), and
 * Strict-Transport-Security (180 days, subdomains) plus CSP upgrade-insecure-requests only on
 * answers that go out over https (overHttps), so a plain http localhost or LAN address is never
 * pinned or upgraded to https. modelOrigins (the public bucket's origin, when models are fetched
 * from there) are added to connect-src.
 */
export function securityHeaders(modelOrigins: readonly string[] = []): RequestHandler {
  // Models in a public bucket (STORAGE_PUBLIC_URL): the viewer fetches them from that origin.
  const directives = { ...APP_CSP, 'connect-src': [...APP_CSP['connect-src'], ...modelOrigins] };
  return perScheme((https) =>
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: withUpgrade(directives, https) },
      strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      xFrameOptions: { action: 'deny' },
    }),
  );
}

/** Replaces APP_CSP with DOCS_CSP: mounted on /api/docs after securityHeaders. */
export function docsContentSecurityPolicy(): RequestHandler {
  return perScheme((https) =>
    helmet.contentSecurityPolicy({ useDefaults: false, directives: withUpgrade(DOCS_CSP, https) }),
  );
}
