import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { ClientRateLimit } from './client-rate-limit';

/** Length of the upload-rate window (UPLOADS_PER_MINUTE counts per this many seconds). */
export const UPLOAD_RATE_WINDOW_S = 60;

/**
 * Uploads per client per minute (UPLOADS_PER_MINUTE; docs/design.md, HTTP contract): a
 * ClientRateLimit of UPLOAD_RATE_WINDOW_S s. Every attempt that reaches the check counts, refused
 * ones too (a client sending junk is throttled like one sending pictures). count() throws 429
 * `Too many requests, retry later` with Retry-After over the limit; a no-op when it is 0.
 */
@Injectable()
export class UploadRateService extends ClientRateLimit {
  constructor(redis: RedisService, @Inject(APP_CONFIG) config: AppConfig) {
    super(redis.client, RedisKeys.uploadRatePrefix, config.uploadsPerMinute, UPLOAD_RATE_WINDOW_S);
  }
}
