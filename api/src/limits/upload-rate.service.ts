import { Inject, Injectable } from '@nestjs/common';
import { SITE_SHARE, siteKey } from '../common/client-address';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { ClientRateLimit } from './client-rate-limit';

/** Length of the upload-rate window (UPLOADS_PER_MINUTE counts per this many seconds). */
export const UPLOAD_RATE_WINDOW_S = 60;

/**
 * Uploads per client per minute (UPLOADS_PER_MINUTE; docs/design.md, HTTP contract): a
 * ClientRateLimit of UPLOAD_RATE_WINDOW_S s per client (an IPv4 address, an IPv6 /64), and for an
 * IPv6 client also one of SITE_SHARE times that per /48 site, so a stranger with a /48's 65,536
 * /64s sends what four clients may, not 65,536 (every upload can leave a task record for 48 h:
 * an instant repeat, a follower, its webhooks). Every attempt that reaches the check counts for
 * its client, refused ones too (a client sending junk is throttled like one sending pictures);
 * the site counts only what its client's limit let through, so one /64 retrying in a loop spends
 * its own share of the site, never its neighbours'. count() throws 429 `Too many requests, retry
 * later` with Retry-After over either limit; a no-op when it is 0.
 */
@Injectable()
export class UploadRateService {
  private readonly perClient: ClientRateLimit;
  private readonly perSite: ClientRateLimit;

  constructor(redis: RedisService, @Inject(APP_CONFIG) config: AppConfig) {
    const perMinute = config.uploadsPerMinute;
    this.perClient = new ClientRateLimit(
      redis.client,
      RedisKeys.uploadRatePrefix,
      perMinute,
      UPLOAD_RATE_WINDOW_S,
    );
    this.perSite = new ClientRateLimit(
      redis.client,
      RedisKeys.uploadSiteRatePrefix,
      perMinute * SITE_SHARE,
      UPLOAD_RATE_WINDOW_S,
    );
  }

  /** Counts one upload of `client` (a limit key, common/client-address limitKey), then of its site. */
  async count(client: string): Promise<void> {
    await this.perClient.count(client);
    const site = siteKey(client);
    if (site !== undefined) await this.perSite.count(site);
  }
}
