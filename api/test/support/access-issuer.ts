import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type TestCertificate, selfSignedCertificate } from './tls';

/** jose 6 is ESM-only; loaded with a dynamic import from this CommonJS build. */
type Jose = typeof import('jose');
type Key = Awaited<ReturnType<Jose['generateKeyPair']>>['privateKey'];

/** What a test's own Cloudflare Access "team" signs into a token (defaults: a valid one). */
export interface TokenClaims {
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative = already expired; null = no `exp` claim at all. */
  expiresInS?: number | null;
  /** Sign with this issuer's other key pair, one the JWKS does not list. */
  foreignKey?: boolean;
}

/**
 * A stand-in for Cloudflare Access's signing side, made in the test: an RS256 key pair of its
 * own, its public key served as a JWKS (the shape of https://<team>.cloudflareaccess.com/cdn-cgi/
 * access/certs: {"keys": [JWK with kid]}) from a local https server with a self-signed
 * certificate (the api takes https key sets only: an api process trusts it through
 * NODE_EXTRA_CA_CERTS, in env(); an in-process AccessService through fetchKeys), and tokens minted
 * with jose the way Access mints them (kid header, iss, aud, sub, email, iat, exp).
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
    private readonly tls: TestCertificate,
    readonly certsUrl: string,
  ) {}

  static async start(): Promise<AccessIssuer> {
    const tls = selfSignedCertificate();
    const jose = await import('jose');
    const pair = await jose.generateKeyPair('RS256', { extractable: true });
    const foreign = await jose.generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'kiln-test-key', alg: 'RS256', use: 'sig' };
    const served = { requests: 0 };
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
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
      tls,
      `https://127.0.0.1:${port}/cdn-cgi/access/certs`,
    );
  }

  /**
   * A fetch for jose's key set (AccessService's ACCESS_KEYS_FETCH) that trusts this issuer's
   * certificate and no other: node:https with it as the only CA.
   */
  readonly fetchKeys = (
    url: string,
    options: { headers?: Headers; signal?: AbortSignal },
  ): Promise<Response> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          ca: this.tls.cert,
          headers: Object.fromEntries(options.headers?.entries() ?? []),
          signal: options.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve(
              new Response(new Uint8Array(Buffer.concat(chunks)), {
                status: res.statusCode ?? 500,
                headers: { 'content-type': String(res.headers['content-type'] ?? '') },
              }),
            ),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });

  /** Requests the JWKS server answered. */
  get certsRequests(): number {
    return this.served.requests;
  }

  /**
   * The api's environment for Access mode against this issuer; NODE_EXTRA_CA_CERTS makes an api
   * process trust this issuer's certificate (loadConfig ignores it).
   */
  env(): Record<string, string> {
    return {
      CF_ACCESS_TEAM_DOMAIN: AccessIssuer.TEAM,
      CF_ACCESS_AUD: AccessIssuer.AUD,
      CF_ACCESS_CERTS_URL: this.certsUrl,
      NODE_EXTRA_CA_CERTS: this.tls.certPath,
    };
  }

  /** A signed token; valid unless claims say otherwise. */
  async token(claims: TokenClaims = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const expiresInS = claims.expiresInS === undefined ? 600 : claims.expiresInS;
    const jwt = new this.jose.SignJWT({ email: 'family@example.org', type: 'app' })
      .setProtectedHeader({ alg: 'RS256', kid: 'kiln-test-key' })
      .setIssuer(claims.issuer ?? AccessIssuer.ISSUER)
      .setAudience(claims.audience ?? AccessIssuer.AUD)
      .setSubject('7335d417-61da-459d-899c-0a01c76a2f94')
      .setIssuedAt(expiresInS === null ? now : Math.min(now, now + expiresInS - 60));
    if (expiresInS !== null) jwt.setExpirationTime(now + expiresInS);
    return jwt.sign(claims.foreignKey === true ? this.foreign : this.key);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.tls.remove();
  }
}
