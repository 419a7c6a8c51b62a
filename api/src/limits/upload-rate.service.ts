import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';

/** Length of the upload-rate window (UPLOADS_PER_MINUTE counts per this many seconds). */
export const UPLOAD_RATE_WINDOW_S = 60;

/** Retry-After (whole seconds, at least 1) for a window that frees in `msBeforeNext` ms. */
export function retryAfterFromMs(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/**
 * Uploads per client per minute (UPLOADS_PER_MINUTE; docs/design.md, HTTP contract), counted
 * in Redis by rate-limiter-flexible so every api process shares one count: a fixed window of
 * UPLOAD_RATE_WINDOW_S s opened by the client's first upload (one Lua step: INCR, and the TTL on
 * the first). Every attempt that reaches the check counts, refused ones too (a client sending
 * junk is throttled like one sending pictures). A Redis failure propagates (500), as admission's would.
 */
@Injectable()
export class UploadRateService {
  private readonly limiter: RateLimiterRedis | undefined;

  constructor(redis: RedisService, @Inject(APP_CONFIG) config: AppConfig) {
    this.limiter =
      config.uploadsPerMinute > 0
        ? new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: RedisKeys.uploadRatePrefix,
            points: config.uploadsPerMinute,
            duration: UPLOAD_RATE_WINDOW_S,
          })
        : undefined;
  }

  /**
   * Counts one upload for `client` (a limit key, common/client-address limitKey). Throws 429
   * `Too many requests, retry later` with Retry-After = seconds until the client's window ends,
   * when the upload is over UPLOADS_PER_MINUTE. No-op when the limit is off (0).
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
