import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { ClientRateLimit } from './client-rate-limit';

/** Length of the read-rate window (READS_PER_MINUTE counts per this many seconds). */
export const READ_RATE_WINDOW_S = 60;

/**
 * Reads and cancels per client per minute (READS_PER_MINUTE; docs/design.md, HTTP contract): the
 * task routes a stranger can call in a loop with ids (GET /api/tasks/{id}, its preview, opening
 * its event stream, DELETE), a ClientRateLimit of READ_RATE_WINDOW_S s like the upload rate. The
 * models under /static/ are not counted: share links and viewers on other sites fetch them, a CDN
 * may cache them, and they cost a file read. The web app's own traffic (about one GET a second
 * while a stream is silent, a preview per new revision, a stream reconnect) stays far below the
 * default 600. count() throws 429 too_many_requests with Retry-After over the limit.
 */
@Injectable()
export class ReadRateService extends ClientRateLimit {
  constructor(redis: RedisService, @Inject(APP_CONFIG) config: AppConfig) {
    super(redis.client, RedisKeys.readRatePrefix, config.readsPerMinute, READ_RATE_WINDOW_S);
  }
}
