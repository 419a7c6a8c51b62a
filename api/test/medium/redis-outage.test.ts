/**
 * Medium (a private redis-server on a free port, stopped and started by the test): RedisService's
 * command connection during an outage. Within OUTAGE_FAIL_FAST_MS a command waits for ioredis's
 * reconnects as before; past it, a command fails at once with the offline queue's error, which
 * the exception filter answers 503 store_unavailable; once Redis is back, commands work again.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { mapException } from '../../src/common/filters/all-exceptions.filter';
import { loadConfig } from '../../src/config/app-config';
import { OUTAGE_FAIL_FAST_MS, RedisService } from '../../src/redis/redis.service';
import { freePort } from '../support/api-process';
import { sleep, tempDir, waitFor } from '../support/env';

/** A redis-server of the test's own (no persistence) on `port`; resolves once it answers. */
async function startRedis(port: number, redis: RedisService): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitFor('the service connected to the private redis-server', () =>
    Promise.resolve(redis.client.status === 'ready' ? true : undefined),
  );
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

void describe('RedisService during a Redis outage', () => {
  const dir = tempDir('redis-outage');
  let server: ChildProcess | undefined;
  let redis: RedisService | undefined;
  after(async () => {
    await redis?.onApplicationShutdown();
    if (server) await stopRedis(server);
    dir.remove();
  });

  void it('fails commands at once after a long outage, with the error the filter calls store_unavailable, and works again once Redis is back', async () => {
    const port = await freePort();
    redis = new RedisService(loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}/0` }, dir.path));
    const { client } = redis;
    server = await startRedis(port, redis);
    assert.equal(await client.set('kiln:outage-probe', '1'), 'OK');
    assert.equal(client.options.enableOfflineQueue, true);

    await stopRedis(server);
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

    server = await startRedis(port, redis);
    assert.equal(client.options.enableOfflineQueue, true);
    assert.equal(await client.ping(), 'PONG');
  });
});
