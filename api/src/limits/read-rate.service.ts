import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { retryAfterFromMs } from './upload-rate.service';

/** Length of the read-rate window (READS_PER_MINUTE counts per this many seconds). */
export const READ_RATE_WINDOW_S = 60;

/**
 * Reads and cancels per client per minute (READS_PER_MINUTE; docs/design.md, HTTP contract): the
 * task routes a stranger can call in a loop with ids (GET /api/tasks/{id}, its preview, opening
 * its event stream, DELETE). Counted in Redis like the upload rate (rate-limiter-flexible, one
 * fixed window per client shared by every api process). The models under /static/ are not
 * counted: share links and viewers on other sites fetch them, a CDN may cache them, and they cost
 * a file read. The web app's own traffic (about one GET a second while a stream is silent, a
 * preview per new revision, a stream reconnect) stays far below the default 600.
 */
@Injectable()
export class ReadRateService {
  private readonly limiter: RateLimiterRedis | undefined;

  constructor(redis: RedisService, @Inject(APP_CONFIG) config: AppConfig) {
    this.limiter =
      config.readsPerMinute > 0
        ? new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: RedisKeys.readRatePrefix,
            points: config.readsPerMinute,
            duration: READ_RATE_WINDOW_S,
          })
        : undefined;
  }

  /**
   * Counts one read for `client` (a limit key, common/client-address limitKey). Throws 429
   * too_many_requests with Retry-After = seconds until the client's window ends, over
   * READS_PER_MINUTE. No-op when the limit is off (0).
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
