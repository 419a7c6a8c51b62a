import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A task token: the secret that makes its holder the task's maker (docs/design.md, Task tokens).
 * Handed out once, in the 202 that creates the task; only its SHA-256 is stored, so Redis never
 * holds a usable token. 32 random bytes, base64url (43 characters).
 */
export interface TaskToken {
  token: string;
  /** SHA-256 of the token, hex (64 characters): what the task's hash keeps. */
  hash: string;
}

/** The header that carries a task token on the requests that change a task. */
export const TASK_TOKEN_HEADER = 'x-task-token';

/** A new random task token and its hash. */
export function newTaskToken(): TaskToken {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOf(token) };
}

function hashOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Whether `presented` (a header value; undefined when absent) is the token whose hash is `stored`
 * (undefined for a task made before tokens existed, which nobody can change). Compared in constant
 * time over the two hashes, so neither the token's length nor its prefix leaks.
 */
export function tokenMatches(stored: string | undefined, presented: string | undefined): boolean {
  if (stored === undefined || presented === undefined || presented === '') return false;
  const expected = Buffer.from(stored, 'hex');
  const actual = Buffer.from(hashOf(presented), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
