import type { FetchImplementation, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { CloudflareAccessConfig } from '../config/app-config';

/** The request header Cloudflare Access adds to every request it lets through to the origin. */
export const CF_ACCESS_HEADER = 'cf-access-jwt-assertion';
/** The cookie Access sets in a browser it let in; same-origin fetch and EventSource send it. */
export const CF_ACCESS_COOKIE = 'CF_Authorization';

/** jose 6 is ESM-only; a dynamic import keeps this CommonJS build working (as for execa). */
type Jose = typeof import('jose');

/**
 * Verifies Cloudflare Access application tokens (JWTs) with jose against the team's signing keys
 * (a JWKS at AppConfig.access.cloudflare.certsUrl, fetched on first use and cached by jose:
 * refetched at most every 30 s when a token names an unknown key, e.g. after Cloudflare rotates
 * its keys; the URL is https, AppConfig refuses anything else). Checked: the RS256 signature,
 * `iss` = https://<team>.cloudflareaccess.com, `aud` one of CF_ACCESS_AUD, `exp` present (a token
 * without one would never lapse: Access always sets it) and not past, `nbf` (60 s of clock
 * tolerance either way). Source: Cloudflare's "Validate JWTs"
 * (developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/).
 */
export class CloudflareAccessVerifier {
  private keys: Promise<{ jose: Jose; keySet: JWTVerifyGetKey }> | undefined;

  /** fetchKeys: how the key set is fetched (default: the global fetch; tests pass one that trusts their own CA). */
  constructor(
    private readonly config: CloudflareAccessConfig,
    private readonly fetchKeys?: FetchImplementation,
  ) {}

  /** The token's claims when it is valid; throws (jose's error: expired, bad audience, unknown key, ...) otherwise. */
  async verify(token: string): Promise<JWTPayload> {
    this.keys ??= import('jose').then((jose) => ({
      jose,
      keySet: jose.createRemoteJWKSet(
        new URL(this.config.certsUrl),
        this.fetchKeys === undefined ? undefined : { [jose.customFetch]: this.fetchKeys },
      ),
    }));
    const { jose, keySet } = await this.keys;
    const { payload } = await jose.jwtVerify(token, keySet, {
      issuer: this.config.issuer,
      audience: this.config.audiences,
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
      clockTolerance: 60,
    });
    return payload;
  }
}
