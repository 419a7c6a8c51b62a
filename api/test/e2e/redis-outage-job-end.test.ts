/**
 * End-to-end (an api with its simulate sidecar on a private redis-server that the test stops):
 * a job whose sidecar part ends while Redis is away, for longer than the job's Bull lock
 * (QUEUE_SETTINGS.lockDuration, 15 s) and the queue's per-command retries (about 18 s). The made
 * model is handed on once Redis is back and the task completes; the sidecar is not asked to make
 * it again. Before, the hand-off failed ("inference failed … MaxRetriesPerRequestError"), the task
 * stayed `processing`, and Bull's stalled check ran the whole job a second time.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { sleep, tempDir, waitFor } from '../support/env';
import { getJson, sample, upload } from '../support/http-client';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';

/** Past the lock (15 s) and Bull's own retries of the hand-off (about 18 s at this reconnect pace). */
const OUTAGE_AFTER_JOB_END_MS = 20_000;

void describe('a job that ends while Redis is away (private redis-server, real sidecar)', () => {
  const dir = tempDir('redis-outage-job-end');
  let redis: PrivateRedis;
  let api: ApiProcess;

  before(async () => {
    redis = await startPrivateRedis(join(dir.path, 'redis'));
    api = await startApi({
      staticDir: join(dir.path, 'static'),
      logDir: join(dir.path, 'logs'),
      env: { REDIS_URL: redis.url, SIMULATE_SECONDS: '3' },
    });
  });
  after(async () => {
    await api?.stop();
    await redis?.stop();
    dir.remove();
  });

  void it('completes once Redis is back, its model made once', async () => {
    const made = await upload<{ task_id: string }>(api.url, sample('typical_misc_lantern.png'), {
      filename: 'lantern.png',
      contentType: 'image/png',
    });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    const id = made.body.task_id;
    await waitFor(
      'the job to start',
      async () =>
        (await getJson(`${api.url}/api/tasks/${id}`)).body.status === 'processing' ? true : undefined,
      30_000,
    );
    await redis.stop();
    await waitFor(
      "the sidecar's part to end during the outage",
      () => Promise.resolve(new RegExp(`task ${id}: end after`).test(api.output()) || undefined),
      30_000,
    );
    await sleep(OUTAGE_AFTER_JOB_END_MS);
    await redis.start();
    const task = await waitFor(
      'the task to end',
      async () => {
        const body = (await getJson(`${api.url}/api/tasks/${id}`)).body;
        return body.status === 'completed' || body.status === 'failed' ? body : undefined;
      },
      60_000,
    );
    assert.equal(task.status, 'completed', JSON.stringify(task));
    const model = await fetch(String(task.model_url));
    assert.equal(model.status, 200);
    // Bull's rerun of the job (its lock lapsed) finds the model made: give it the time to come.
    await sleep(6_000);
    const starts = api.output().match(new RegExp(`inference start task=${id}`, 'g')) ?? [];
    assert.equal(
      starts.length,
      1,
      `the sidecar was asked ${starts.length} times:\n${api.output().slice(-4000)}`,
    );
    assert.match(api.output(), new RegExp(`task ${id}: carried on once Redis was back`));
    assert.equal((await getJson(`${api.url}/api/tasks/${id}`)).body.status, 'completed');
  });
});
