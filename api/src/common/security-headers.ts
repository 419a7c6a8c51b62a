import type { RequestHandler } from 'express';
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

/** True when browsers reach the service over https only (PUBLIC_BASE_URL says so). */
function isHttpsOnly(publicBaseUrl: string | undefined): boolean {
  return publicBaseUrl?.startsWith('https:') ?? false;
}

function withUpgrade(directives: CspDirectives, httpsOnly: boolean): CspDirectives {
  // Upgrading requests on a plain http service (localhost, a LAN address) would break every fetch.
  return httpsOnly ? { ...directives, 'upgrade-insecure-requests': [] } : directives;
}

/**
 * helmet's headers for every response: APP_CSP, X-Content-Type-Options nosniff,
 * X-Frame-Options DENY (with frame-ancestors 'none': nothing of ours is meant to be framed),
 * Referrer-Policy strict-origin-when-cross-origin (other sites see our origin, never a share
 * page's path; no-referrer would also turn the Origin of our own POSTs into "null"), and
 * Strict-Transport-Security (180 days, subdomains) only when publicBaseUrl is https, so a plain
 * http localhost is never pinned to https. modelOrigins (the public bucket's origin, when models
 * are fetched from there) are added to connect-src.
 */
export function securityHeaders(
  publicBaseUrl: string | undefined,
  modelOrigins: readonly string[] = [],
): RequestHandler {
  const httpsOnly = isHttpsOnly(publicBaseUrl);
  // Models in a public bucket (STORAGE_PUBLIC_URL): the viewer fetches them from that origin.
  const directives = { ...APP_CSP, 'connect-src': [...APP_CSP['connect-src'], ...modelOrigins] };
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: withUpgrade(directives, httpsOnly) },
    strictTransportSecurity: httpsOnly ? { maxAge: 15_552_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xFrameOptions: { action: 'deny' },
  });
}

/** Replaces APP_CSP with DOCS_CSP: mounted on /api/docs after securityHeaders. */
export function docsContentSecurityPolicy(publicBaseUrl: string | undefined): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: withUpgrade(DOCS_CSP, isHttpsOnly(publicBaseUrl)),
  });
}
