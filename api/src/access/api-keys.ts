import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Is `given` one of the API keys whose SHA-256 digests (hex, AppConfig.access.apiKeySha256)
 * are configured? The given key is hashed and compared with every digest in constant time
 * (timingSafeEqual on equal-length digests, no early exit), so neither the answer's timing nor
 * the key's length tells which key, or how much of one, was right.
 */
export function apiKeyMatches(given: string, digestsHex: readonly string[]): boolean {
  const digest = createHash('sha256').update(given).digest();
  let match = false;
  for (const hex of digestsHex) {
    // The comparison comes first, so every digest is compared whatever the earlier ones gave.
    match = timingSafeEqual(digest, Buffer.from(hex, 'hex')) || match;
  }
  return match;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  return match === null ? undefined : match[1];
}
