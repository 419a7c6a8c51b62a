import { Inject, Injectable, Logger } from '@nestjs/common';
import { parseCookie } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, type AccessConfig, type AppConfig } from '../config/app-config';
import { apiKeyMatches, bearerToken } from './api-keys';
import { CF_ACCESS_COOKIE, CF_ACCESS_HEADER, CloudflareAccessVerifier } from './cloudflare-access.verifier';

/** The challenge of a 401 while API keys are on (RFC 6750); realm names the service. */
export const BEARER_CHALLENGE = 'Bearer realm="kiln3d"';

/**
 * Optional access control of POST /api/generate and the task routes (docs/design.md, Operations):
 * off unless API_KEYS or CF_ACCESS_TEAM_DOMAIN + CF_ACCESS_AUD are set. A request passes with
 * `Authorization: Bearer <one of API_KEYS>`, or with a valid Cloudflare Access token in the
 * `Cf-Access-Jwt-Assertion` header (what Access adds at the edge) or the `CF_Authorization`
 * cookie (what a browser under Access sends); with both modes on, either passes. Otherwise 401
 * `Unauthorized`, with `WWW-Authenticate: Bearer realm="kiln3d"` when API keys are on.
 */
@Injectable()
export class AccessService {
  private readonly logger = new Logger('Access');
  private readonly access: AccessConfig | undefined;
  private readonly cloudflare: CloudflareAccessVerifier | undefined;
  private lastKeysetWarning = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.access = config.access;
    const cloudflare = config.access?.cloudflare;
    this.cloudflare = cloudflare === undefined ? undefined : new CloudflareAccessVerifier(cloudflare);
  }

  /** Is access control on at all? */
  get enabled(): boolean {
    return this.access !== undefined;
  }

  /** Lets the request through, or throws ApiError 401 (see the class). */
  async check(headers: IncomingHttpHeaders): Promise<void> {
    const access = this.access;
    if (access === undefined) return;
    const bearer = bearerToken(headers.authorization);
    if (access.apiKeySha256.length > 0 && bearer !== undefined && apiKeyMatches(bearer, access.apiKeySha256))
      return;
    if (this.cloudflare !== undefined) {
      const token = accessToken(headers);
      if (token !== undefined) {
        try {
          await this.cloudflare.verify(token);
          return;
        } catch (error) {
          this.reportRefusal(error);
        }
      }
    }
    throw new ApiError('unauthorized', {
      headers: access.apiKeySha256.length > 0 ? { 'WWW-Authenticate': BEARER_CHALLENGE } : {},
    });
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
