import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

export type ChannelListener = (message: string) => void;

/**
 * The api's Redis connections: one for commands and one subscriber that fans pub/sub messages
 * out to in-process listeners by channel (SSE and cancellation work on any api process).
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<ChannelListener>>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableReadyCheck: true });
    this.subscriber = new Redis(config.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false });
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) {
        try {
          listener(message);
        } catch (error) {
          this.logger.error(
            `listener on ${channel} threw`,
            error instanceof Error ? error.stack : String(error),
          );
        }
      }
    });
  }

  /** Listens to a channel; resolves once Redis confirmed the subscription. Returns the unsubscribe. */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    await this.subscriber.subscribe(channel);
    return () => {
      set.delete(listener);
    };
  }

  /** Round trip time of a PING in ms; throws when Redis is unreachable. */
  async ping(timeoutMs = 1000): Promise<number> {
    const started = performance.now();
    await Promise.race([
      this.client.ping(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('Redis ping timed out')), timeoutMs).unref(),
      ),
    ]);
    return performance.now() - started;
  }

  /** Last: jobs winding down in beforeApplicationShutdown still need Redis. */
  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
  }
}
