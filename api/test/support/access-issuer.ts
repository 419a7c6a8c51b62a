import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** jose 6 is ESM-only; loaded with a dynamic import from this CommonJS build. */
type Jose = typeof import('jose');
type Key = Awaited<ReturnType<Jose['generateKeyPair']>>['privateKey'];

/** What a test's own Cloudflare Access "team" signs into a token (defaults: a valid one). */
export interface TokenClaims {
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative = already expired. */
  expiresInS?: number;
  /** Sign with this issuer's other key pair, one the JWKS does not list. */
  foreignKey?: boolean;
}

/**
 * A stand-in for Cloudflare Access's signing side, made in the test: an RS256 key pair of its
 * own, its public key served as a JWKS (the shape of https://<team>.cloudflareaccess.com/cdn-cgi/
 * access/certs: {"keys": [JWK with kid]}) from a local HTTP server, and tokens minted with jose
 * the way Access mints them (kid header, iss, aud, sub, email, iat, exp).
 */
export class AccessIssuer {
  static readonly TEAM = 'kiln-test.cloudflareaccess.com';
  static readonly ISSUER = `https://${AccessIssuer.TEAM}`;
  static readonly AUD = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2';

  private constructor(
    private readonly jose: Jose,
    private readonly key: Key,
    private readonly foreign: Key,
    private readonly server: Server,
    private readonly served: { requests: number },
    readonly certsUrl: string,
  ) {}

  static async start(): Promise<AccessIssuer> {
    const jose = await import('jose');
    const pair = await jose.generateKeyPair('RS256', { extractable: true });
    const foreign = await jose.generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'kiln-test-key', alg: 'RS256', use: 'sig' };
    const served = { requests: 0 };
    const server = createServer((req, res) => {
      served.requests += 1;
      if (req.url !== '/cdn-cgi/access/certs') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new AccessIssuer(
      jose,
      pair.privateKey,
      foreign.privateKey,
      server,
      served,
      `http://127.0.0.1:${port}/cdn-cgi/access/certs`,
    );
  }

  /** Requests the JWKS server answered. */
  get certsRequests(): number {
    return this.served.requests;
  }

  /** The api's environment for Access mode against this issuer. */
  env(): Record<string, string> {
    return {
      CF_ACCESS_TEAM_DOMAIN: AccessIssuer.TEAM,
      CF_ACCESS_AUD: AccessIssuer.AUD,
      CF_ACCESS_CERTS_URL: this.certsUrl,
    };
  }

  /** A signed token; valid unless claims say otherwise. */
  async token(claims: TokenClaims = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const expiresInS = claims.expiresInS ?? 600;
    return new this.jose.SignJWT({ email: 'family@example.org', type: 'app' })
      .setProtectedHeader({ alg: 'RS256', kid: 'kiln-test-key' })
      .setIssuer(claims.issuer ?? AccessIssuer.ISSUER)
      .setAudience(claims.audience ?? AccessIssuer.AUD)
      .setSubject('7335d417-61da-459d-899c-0a01c76a2f94')
      .setIssuedAt(Math.min(now, now + expiresInS - 60))
      .setExpirationTime(now + expiresInS)
      .sign(claims.foreignKey === true ? this.foreign : this.key);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
