import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { parseCookie } from 'cookie';
import type { Request } from 'express';
import type { FetchImplementation } from 'jose';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, type AccessConfig, type AppConfig } from '../config/app-config';
import { apiKeyMatches, bearerToken } from './api-keys';
import { CF_ACCESS_COOKIE, CF_ACCESS_HEADER, CloudflareAccessVerifier } from './cloudflare-access.verifier';

/** The challenge of a 401 while API keys are on (RFC 6750); realm names the service. */
export const BEARER_CHALLENGE = 'Bearer realm="kiln3d"';

/** Injection token: how the Access key set is fetched (unset: the global fetch). Tests provide one. */
export const ACCESS_KEYS_FETCH = Symbol('ACCESS_KEYS_FETCH');

/** What check() reads of a request. */
export type AccessRequest = Pick<Request, 'method' | 'headers'>;

/** Methods that change nothing, so a request another site makes with them gains it nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Sec-Fetch-Site values of a request this site (or the user, typing or bookmarking) made. */
const SAME_SITE_FETCHES = new Set(['same-origin', 'same-site', 'none']);

/**
 * Optional access control of POST /api/generate and the task routes (docs/design.md, Operations):
 * off unless API_KEYS or CF_ACCESS_TEAM_DOMAIN + CF_ACCESS_AUD are set. A request passes with
 * `Authorization: Bearer <one of API_KEYS>`, or with a valid Cloudflare Access token in the
 * `Cf-Access-Jwt-Assertion` header (what Access adds at the edge) or the `CF_Authorization`
 * cookie (what a browser under Access sends); with both modes on, either passes. Otherwise 401
 * `Unauthorized`, with `WWW-Authenticate: Bearer realm="kiln3d"` when API keys are on.
 *
 * Cross-site request forgery: an Access credential is ambient (the browser sends the cookie with
 * any request to the host, and Access at the edge turns that cookie into the header), so a
 * POST or DELETE that passes by it, or carries one while access control is off, must come from
 * this site: 403 `Cross-site request refused` otherwise (sameSite). An API key is no ambient
 * credential (another site cannot make a browser send an Authorization header without CORS),
 * so a request that passes by its key is not checked.
 */
@Injectable()
export class AccessService {
  private readonly logger = new Logger('Access');
  private readonly access: AccessConfig | undefined;
  private readonly cloudflare: CloudflareAccessVerifier | undefined;
  private lastKeysetWarning = 0;

  private readonly publicOrigin: string | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(ACCESS_KEYS_FETCH) fetchKeys?: FetchImplementation,
  ) {
    this.access = config.access;
    this.publicOrigin = config.publicBaseUrl === undefined ? undefined : new URL(config.publicBaseUrl).origin;
    const cloudflare = config.access?.cloudflare;
    this.cloudflare =
      cloudflare === undefined ? undefined : new CloudflareAccessVerifier(cloudflare, fetchKeys);
  }

  /** Is access control on at all? */
  get enabled(): boolean {
    return this.access !== undefined;
  }

  /** Lets the request through, or throws ApiError 401 or 403 (see the class). */
  async check(req: AccessRequest): Promise<void> {
    const { headers } = req;
    const access = this.access;
    if (access === undefined) {
      // Access may still guard the hostname at the edge: its credential is ambient all the same.
      if (accessToken(headers) !== undefined) this.refuseCrossSite(req);
      return;
    }
    const bearer = bearerToken(headers.authorization);
    if (access.apiKeySha256.length > 0 && bearer !== undefined && apiKeyMatches(bearer, access.apiKeySha256))
      return;
    if (this.cloudflare !== undefined) {
      const token = accessToken(headers);
      if (token !== undefined) {
        let verified = false;
        try {
          await this.cloudflare.verify(token);
          verified = true;
        } catch (error) {
          this.reportRefusal(error);
        }
        if (verified) {
          this.refuseCrossSite(req);
          return;
        }
      }
    }
    throw new ApiError('unauthorized', {
      headers: access.apiKeySha256.length > 0 ? { 'WWW-Authenticate': BEARER_CHALLENGE } : {},
    });
  }

  /**
   * The email of a valid Cloudflare Access token on the request (the header Access adds, else its
   * cookie), for the log of who did an admin action; undefined when Access is not configured
   * here (CF_ACCESS_*), the request carries no token, the token does not verify, or it names no
   * email (a service token). Never throws.
   */
  async verifiedEmail(headers: IncomingHttpHeaders): Promise<string | undefined> {
    const token = accessToken(headers);
    if (this.cloudflare === undefined || token === undefined) return undefined;
    try {
      const { email } = await this.cloudflare.verify(token);
      return typeof email === 'string' && email !== '' ? email : undefined;
    } catch (error) {
      this.reportRefusal(error);
      return undefined;
    }
  }

  /** Throws 403 `Cross-site request refused` for an unsafe request another site made (sameSite). */
  private refuseCrossSite(req: AccessRequest): void {
    if (SAFE_METHODS.has(req.method.toUpperCase()) || sameSite(req.headers, this.publicOrigin)) return;
    this.logger.debug(
      `Cross-site ${req.method} refused (Sec-Fetch-Site ${String(req.headers['sec-fetch-site'])}, ` +
        `Origin ${String(req.headers.origin).slice(0, 200)})`,
    );
    throw new ApiError('cross_site_request');
  }

  /**
   * A stranger's bad token is routine (debug). Signing keys that cannot be fetched are the
   * operator's problem (every Access user gets 401): a warning, at most once a minute.
   */
  private reportRefusal(error: unknown): void {
    const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && !KEYSET_ERRORS.has(code)) {
      this.logger.debug(`Access token refused: ${description}`);
      return;
    }
    const now = Date.now();
    if (now - this.lastKeysetWarning < KEYSET_WARNING_EVERY_MS) return;
    this.lastKeysetWarning = now;
    this.logger.warn(
      `Cloudflare Access signing keys unavailable (${description}): Access tokens are refused until they load`,
    );
  }
}

/** jose's codes for a key set that could not be had (a fetch failing without a code is one too). */
const KEYSET_ERRORS = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);
/** At most one warning about the key set per this many ms. */
const KEYSET_WARNING_EVERY_MS = 60_000;

/** The Access token: the header Access adds, else the browser's cookie. */
function accessToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers[CF_ACCESS_HEADER];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const cookie = headers.cookie === undefined ? undefined : parseCookie(headers.cookie)[CF_ACCESS_COOKIE];
  return cookie === undefined || cookie === '' ? undefined : cookie;
}

/**
 * Did this site make the request? Sec-Fetch-Site when the browser sends it (every current one
 * does): same-origin, same-site or none (the user's own navigation). Else the Origin header: it
 * must be PUBLIC_BASE_URL's origin, or name the host the request was sent to (the Host header;
 * the scheme may differ behind a TLS-terminating proxy). A request with neither is no browser's
 * cross-site request (a browser sends at least Origin with a cross-site POST or DELETE), e.g. curl
 * or an Access service token: it passes.
 */
export function sameSite(headers: IncomingHttpHeaders, publicOrigin: string | undefined): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') return SAME_SITE_FETCHES.has(site.trim().toLowerCase());
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (origin === publicOrigin) return true;
  try {
    const { host, protocol } = new URL(origin);
    return ['http:', 'https:'].includes(protocol) && host !== '' && host === headers.host?.toLowerCase();
  } catch {
    // "null" (a sandboxed frame, a redirect across sites) or junk: not this site.
    return false;
  }
}
