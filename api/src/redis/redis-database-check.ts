import { Redis } from 'ioredis';
import { shown } from '../config/app-config';

/** How long the start waits for the Redis server's answer before it leaves the question to later. */
const CHECK_TIMEOUT_MS = 3_000;

/**
 * Whether the Redis server at `redisUrl` has the database the URL names. ioredis, refused a
 * `SELECT` ("ERR DB index is out of range"), retries and then serves on database 0, where another
 * instance's keys may be: so a missing database stops the start instead.
 * @param redisUrl REDIS_URL as configured (its path `/N` the database, default 0)
 * @returns the one line that says so, or undefined when the database exists or the server does
 *   not answer now (the api starts and waits for Redis, as without this check)
 */
export async function missingRedisDatabase(redisUrl: string): Promise<string | undefined> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: CHECK_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // Reported by connect()'s rejection, or not at all.
  try {
    await client.connect();
    // connect() resolves though its own SELECT was refused (an 'error' event): ask again, plainly.
    await client.select(client.options.db ?? 0);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/DB index is out of range/i.test(message)) return undefined;
    return (
      `REDIS_URL=${shown(redisUrl)} names database ${client.options.db ?? 0}, which this Redis ` +
      "server does not have (redis.conf's `databases`, 16 by default: 0 to 15)"
    );
  } finally {
    client.disconnect();
  }
}
