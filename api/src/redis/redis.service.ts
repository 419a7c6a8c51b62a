import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ListenerRegistry } from '../common/listener-registry';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { errorMessage } from '../common/error-message';

export type ChannelListener = (message: string) => void;

/** The longest wait between two reconnection attempts of any of the api's connections (ms). */
export const RECONNECT_MAX_DELAY_MS = 2000;

/**
 * ioredis's retryStrategy for the Bull queues' connections: 100 ms more per attempt, never more
 * than RECONNECT_MAX_DELAY_MS (ioredis's own default curve). Bull's default is min(e^attempt,
 * 20 s): after an outage of some 15 s its next attempt came up to 20 s after Redis was back, and
 * /api/health and uploads waited on it (15-17 s measured by a verification trial).
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS);
}

/** How long the command connection may be down before its commands fail at once (ms). */
export const OUTAGE_FAIL_FAST_MS = 2000;

/**
 * The api's Redis connections: one for commands and one subscriber that fans pub/sub messages
 * out to in-process listeners by channel (SSE and cancellation work on any api process).
 *
 * Pub/sub ignores database numbers (every client of a server hears every channel), so channel
 * names carry the database (`channel()`): instances on different databases of one server never
 * hear each other's task events or cancels. Every publish and subscribe goes through here.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new ListenerRegistry<ChannelListener>();
  /** The database number, part of every channel name. */
  private readonly db: number;
  /** Set while the command connection is down and not yet failing fast (failFastAfterOutage). */
  private outageTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableReadyCheck: true });
    this.subscriber = new Redis(config.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false });
    this.db = this.client.options.db ?? 0;
    this.failFastAfterOutage();
    // ioredis retries forever; say so once per outage, not at every attempt.
    for (const [name, connection] of [
      ['commands', this.client],
      ['subscriber', this.subscriber],
    ] as const) {
      let reported = false;
      connection.on('error', (error: Error) => {
        if (reported) return;
        reported = true;
        this.logger.warn(`Redis (${name}) unreachable: ${error.message}; retrying`);
      });
      connection.on('ready', () => {
        if (reported) this.logger.log(`Redis (${name}) connected again`);
        reported = false;
      });
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel)) {
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

  /**
   * Once the command connection has been down for OUTAGE_FAIL_FAST_MS, its commands fail at once
   * (503 store_unavailable, the exception filter) instead of each waiting out maxRetriesPerRequest
   * reconnects (about 0.3 s at an outage's start, up to 6 s once ioredis's backoff has grown);
   * when it is ready again they queue as before. A shorter break behaves as it always did.
   */
  private failFastAfterOutage(): void {
    const client = this.client;
    const begin = () => {
      if (this.outageTimer !== undefined || !client.options.enableOfflineQueue) return;
      this.outageTimer = setTimeout(() => {
        this.outageTimer = undefined;
        if (client.status !== 'ready') client.options.enableOfflineQueue = false;
      }, OUTAGE_FAIL_FAST_MS);
      this.outageTimer.unref();
    };
    client.on('error', begin);
    client.on('close', begin);
    client.on('ready', () => {
      clearTimeout(this.outageTimer);
      this.outageTimer = undefined;
      client.options.enableOfflineQueue = true;
    });
  }

  /** The name a channel (RedisKeys.*Channel) has on the server: `{name}@{db}`. */
  channel(name: string): string {
    return `${name}@${this.db}`;
  }

  /**
   * Publishes on a channel (its name for this database, channel()); resolves with how many
   * subscribers (connections, on this one server) received it.
   */
  async publish(name: string, message: string): Promise<number> {
    return await this.client.publish(this.channel(name), message);
  }

  /**
   * Listens to a channel (its name for this database, channel()); returns the unsubscribe. The subscription is made in the background
   * (and renewed by ioredis after a reconnect), so a start without Redis does not block.
   */
  listen(name: string, listener: ChannelListener): () => void {
    const channel = this.channel(name);
    const remove = this.listeners.add(channel, listener);
    this.subscriber.subscribe(channel).catch((error: unknown) => {
      this.logger.error(`subscribe ${channel} failed: ${errorMessage(error)}`);
    });
    return remove;
  }

  /**
   * Resolves once the server has confirmed this process's subscription to a channel (a message
   * published after it is heard); rejects when Redis refuses or cannot be reached. For a caller
   * that publishes a request and must not miss its answer; SUBSCRIBE again is harmless.
   */
  async subscribed(name: string): Promise<void> {
    await this.subscriber.subscribe(this.channel(name));
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
    clearTimeout(this.outageTimer);
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
  }
}
