/**
 * End to end (a real api and sidecar on a private redis-server): a Redis near its `maxmemory`
 * takes no new task (507 store_full, before the picture is decoded, nothing written), says so in
 * /api/health, and lets the task already taken finish; a write Redis itself refuses (over its
 * maxmemory, "OOM command not allowed") answers 507 store_full, not a 500; with room again,
 * uploads are taken. The bound a stranger's tasks meet, as compose's and `npm start`'s Redis set it.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type ApiProcess, startApi } from '../support/api-process';
import { sleep, tempDir, waitFor } from '../support/env';
import { cancelTask, getJson, sample, upload } from '../support/http-client';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';

const LANTERN = { filename: 'lantern.png', contentType: 'image/png' };

/** The files under `dir` (relative paths), sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

void describe('a full task store (private redis-server with maxmemory, real sidecar)', () => {
  const dir = tempDir('store-full');
  const staticDir = join(dir.path, 'static');
  let redis: PrivateRedis;
  let admin: Redis;
  let api: ApiProcess;

  /** Sets the server's maxmemory to `bytes` (0 = none). */
  const setMaxMemory = async (bytes: number): Promise<void> => {
    await admin.config('SET', 'maxmemory', String(bytes));
  };
  /** Waits for /api/health's `redis.full` to read `full` (RedisMemory measures every 5 s at most). */
  const healthSays = (full: boolean) =>
    waitFor(
      `/api/health to say redis.full ${full}`,
      async () => {
        const { body } = await getJson<{ redis: { full: boolean } }>(`${api.url}/api/health`);
        return body.redis.full === full ? true : undefined;
      },
      15_000,
    );

  before(async () => {
    redis = await startPrivateRedis(join(dir.path, 'redis'));
    admin = new Redis(redis.url);
    api = await startApi({
      staticDir,
      logDir: join(dir.path, 'logs'),
      env: { REDIS_URL: redis.url, SIMULATE_SECONDS: '4' },
    });
  });
  after(async () => {
    await api?.stop();
    admin?.disconnect();
    await redis?.stop();
    dir.remove();
  });

  void it('near maxmemory: new uploads 507 store_full with nothing written, the running task completes', async () => {
    const running = await upload<{ task_id: string }>(api.url, sample('typical_misc_lantern.png'), LANTERN);
    assert.equal(running.status, 202, JSON.stringify(running.body));
    const filesBefore = filesUnder(staticDir);
    // 24 MB of a stranger's records (in a database of their own), so that the api's own few MB,
    // which move by a tenth as connections come and go, move the share by under 1 %.
    const pad = admin.duplicate({ db: 1 });
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 384; i++) await pad.set(`pad:${i}`, chunk);
    pad.disconnect();
    // 95 % used: past the api's 90 %, short of Redis's own refusal.
    const used = Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))?.[1]);
    await setMaxMemory(Math.ceil(used / 0.95));
    await healthSays(true);
    const refused = await upload(api.url, sample('typical_misc_lantern.png'), LANTERN);
    assert.equal(refused.status, 507, JSON.stringify(refused.body));
    assert.deepEqual(refused.body, {
      success: false,
      error: 'The task store is full, retry later',
      code: 'store_full',
    });
    assert.deepEqual(filesUnder(staticDir), filesBefore, 'nothing written for the refused upload');
    assert.match(api.output(), /new tasks are refused \(507 store_full\)/);
    // The headroom is the running task's: it completes with its model.
    const task = await waitFor(
      'the running task to end',
      async () => {
        const { body } = await getJson(`${api.url}/api/tasks/${running.body.task_id}`);
        return body.status === 'completed' || body.status === 'failed' ? body : undefined;
      },
      60_000,
    );
    assert.equal(task.status, 'completed', JSON.stringify(task));
    assert.equal((await fetch(String(task.model_url))).status, 200);
  });

  void it('over maxmemory: a write Redis refuses is 507 store_full, not a 500; with room again uploads are taken', async () => {
    await setMaxMemory(0);
    await healthSays(false);
    const pad = admin.duplicate({ db: 1 });
    await pad.flushdb();
    pad.disconnect();
    const made = await upload<{ task_id: string }>(api.url, sample('typical_misc_lantern.png'), LANTERN);
    assert.equal(made.status, 202, JSON.stringify(made.body));
    // Below what Redis holds: every write is refused ("OOM command not allowed").
    await setMaxMemory(1024 * 1024);
    await assert.rejects(admin.set('kiln-test:probe', 'x'), /OOM command not allowed/);
    const cancel = await cancelTask(api.url, made.body.task_id);
    assert.equal(cancel.status, 507, await cancel.clone().text());
    assert.deepEqual(await cancel.json(), {
      success: false,
      error: 'The task store is full, retry later',
      code: 'store_full',
    });
    await setMaxMemory(0);
    await healthSays(false);
    // The task refused nothing for good: it ends (its job wrote again once Redis had room).
    const ended = await waitFor(
      'the task to end',
      async () => {
        const { body } = await getJson(`${api.url}/api/tasks/${made.body.task_id}`);
        return body.status === 'completed' || body.status === 'failed' ? body : undefined;
      },
      90_000,
    );
    assert.equal(ended.status, 'completed', JSON.stringify(ended));
    await sleep(100);
    const again = await upload(api.url, sample('typical_misc_lantern.png'), LANTERN);
    assert.equal(again.status, 202, JSON.stringify(again.body));
  });
});
