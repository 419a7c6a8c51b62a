import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../common/api-error';

/** Retry-After (whole seconds, at least 1) for a window that frees in `msBeforeNext` ms. */
export function retryAfterFromMs(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/**
 * A per-client request count in Redis (rate-limiter-flexible), shared by every api process: a
 * fixed window of `windowS` seconds opened by the client's first request (one Lua step: INCR,
 * and the TTL on the first), at most `perWindow` requests in it. Every attempt that reaches the
 * check counts, refused ones too. A Redis failure propagates (500), as admission's would.
 * perWindow 0: no limit (count() is a no-op).
 */
export class ClientRateLimit {
  private readonly limiter: RateLimiterRedis | undefined;

  constructor(client: Redis, keyPrefix: string, perWindow: number, windowS: number) {
    this.limiter =
      perWindow > 0
        ? new RateLimiterRedis({ storeClient: client, keyPrefix, points: perWindow, duration: windowS })
        : undefined;
  }

  /**
   * Counts one request for `client` (a limit key, common/client-address limitKey). Throws 429
   * too_many_requests (`Too many requests, retry later`) with Retry-After = seconds until the
   * client's window ends, when the request is over the limit.
   */
  async count(client: string): Promise<void> {
    if (this.limiter === undefined) return;
    try {
      await this.limiter.consume(client);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new ApiError('too_many_requests', {
        headers: { 'Retry-After': String(retryAfterFromMs(rejection.msBeforeNext)) },
      });
    }
  }
}
