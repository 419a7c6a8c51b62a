import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { DURATION_SAMPLES, defaultDurationS, meanDuration } from './job-durations';

/** Rolling mean of the last job durations, shared by all api processes through Redis. */
@Injectable()
export class JobDurationsService {
  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Seconds assumed before any job ran (SIMULATE_SECONDS for simulate, else 60). */
  get fallbackS(): number {
    return defaultDurationS(this.config.inferenceEngine, this.config.simulateSeconds);
  }

  /** Keeps one finished job's duration (s), newest first, the last DURATION_SAMPLES only. */
  async record(seconds: number): Promise<void> {
    await this.redis.client
      .multi()
      .lpush(RedisKeys.durations, seconds.toFixed(3))
      .ltrim(RedisKeys.durations, 0, DURATION_SAMPLES - 1)
      .exec();
  }

  /** Mean of the kept durations (s), or fallbackS before any job ran. */
  async mean(): Promise<number> {
    const samples = await this.redis.client.lrange(RedisKeys.durations, 0, -1);
    return meanDuration(samples.map(Number), this.fallbackS);
  }
}
