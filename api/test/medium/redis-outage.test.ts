/**
 * Medium (a private redis-server, stopped and started by the test: support/private-redis):
 * RedisService's command connection during an outage. Within OUTAGE_FAIL_FAST_MS a command waits for ioredis's
 * reconnects as before; past it, a command fails at once with the offline queue's error, which
 * the exception filter answers 503 store_unavailable; once Redis is back, commands work again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mapException } from '../../src/common/filters/all-exceptions.filter';
import { loadConfig } from '../../src/config/app-config';
import { OUTAGE_FAIL_FAST_MS, RedisService } from '../../src/redis/redis.service';
import { sleep, tempDir, waitFor } from '../support/env';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';

void describe('RedisService during a Redis outage', () => {
  const dir = tempDir('redis-outage');
  let server: PrivateRedis | undefined;
  let redis: RedisService | undefined;
  after(async () => {
    await redis?.onApplicationShutdown();
    await server?.stop();
    dir.remove();
  });

  /** Once the service's command connection is back on the restarted server. */
  const connected = (service: RedisService) =>
    waitFor('the service connected to the private redis-server', () =>
      Promise.resolve(service.client.status === 'ready' ? true : undefined),
    );

  void it('fails commands at once after a long outage, with the error the filter calls store_unavailable, and works again once Redis is back', async () => {
    server = await startPrivateRedis(dir.path);
    redis = new RedisService(loadConfig({ REDIS_URL: server.url }, dir.path));
    const { client } = redis;
    await connected(redis);
    assert.equal(await client.set('kiln:outage-probe', '1'), 'OK');
    assert.equal(client.options.enableOfflineQueue, true);

    await server.stop();
    // A fresh break: the command waits for reconnects (the queue is on), then gives up.
    assert.equal(client.options.enableOfflineQueue, true);
    const early = await client.get('kiln:outage-probe').then(
      () => assert.fail('answered with Redis stopped'),
      (error: unknown) => error as Error,
    );
    assert.equal(early.name, 'MaxRetriesPerRequestError');

    await sleep(OUTAGE_FAIL_FAST_MS + 500);
    assert.equal(client.options.enableOfflineQueue, false);
    const late = await client.get('kiln:outage-probe').then(
      () => assert.fail('answered with Redis stopped'),
      (error: unknown) => error as Error,
    );
    assert.match(late.message, /^Stream isn't writeable/);
    const mapped = mapException(late, 10);
    assert.equal(mapped.status, 503);
    assert.equal(mapped.body.code, 'store_unavailable');

    await server.start();
    await connected(redis);
    assert.equal(client.options.enableOfflineQueue, true);
    assert.equal(await client.ping(), 'PONG');
  });
});
