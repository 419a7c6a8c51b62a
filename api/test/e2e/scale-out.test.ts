import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, tempDir } from '../support/env';
import { followToEnd, getJson, rawGet, sample, upload } from '../support/http-client';
import { type MotoServer, startMoto } from '../support/moto';

const PNG = 'typical_misc_lantern.png';
/** Headers a model answer carries, which must not depend on the process that answers. */
const MODEL_HEADERS = [
  'content-type',
  'cache-control',
  'etag',
  'last-modified',
  'content-length',
  'accept-ranges',
];

interface Health {
  queue: { capacity: number };
  workers: { id: string; state: string; role: string }[];
}

/** Runs one task through `api` to its end; returns its id and its model and download URLs. */
async function runTask(api: ApiProcess): Promise<{ taskId: string; urls: string[] }> {
  const accepted = await upload<{ task_id: string }>(api.url, sample(PNG));
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const events = await followToEnd(api.url, accepted.body.task_id, 60_000);
  const last = events[events.length - 1];
  assert.equal(last.event, 'completed', JSON.stringify(last.data));
  return {
    taskId: accepted.body.task_id,
    urls: [String(last.data['model_url']), String(last.data['download_url'])],
  };
}

/** The same path asked of another api process. */
const via = (url: string, api: ApiProcess): string => `${api.url}${new URL(url).pathname}`;

/**
 * Several processes on one Redis (docs/scale-out.md): models in one S3-compatible bucket (a real
 * moto_server the test starts, reached like R2), each process with its own STATIC_DIR as two
 * machines have; and the start refused where processes' folders differ and no bucket is set.
 */
void describe('scale-out: processes on one Redis', () => {
  const dir = tempDir('e2e-scale');
  const dirs = (name: string, staticName = name) => ({
    staticDir: join(dir.path, staticName, 'static'),
    logDir: join(dir.path, name, 'logs'),
  });
  let moto: MotoServer;
  const bucket = 'kiln-scale-test';
  const running: ApiProcess[] = [];
  const start = async (...args: Parameters<typeof startApi>): Promise<ApiProcess> => {
    const api = await startApi(...args);
    running.push(api);
    return api;
  };

  /** Starts a process that must refuse to start; resolves with its output (stops it and fails if it ran). */
  const refused = async (options: Parameters<typeof startApi>[0]): Promise<string> => {
    let api: ApiProcess;
    try {
      api = await startApi({ ...options, waitReady: false });
    } catch (error) {
      return (error as Error).message;
    }
    await api.stop();
    assert.fail(`it started:\n${api.output().slice(-2000)}`);
  };

  before(async () => {
    await clearKilnKeys();
    moto = await startMoto();
    await moto.createBucket(bucket);
  });
  after(async () => {
    await Promise.all(running.map((api) => api.stop()));
    await moto?.stop();
    await clearKilnKeys();
    dir.remove();
  });

  void it('refuses to start beside a process whose folder is not the same one, naming STORAGE_URL', async () => {
    const first = await start({ ...dirs('one'), env: { SIMULATE_SECONDS: '1' } });
    // Same folder, another process (one machine, several GPUs): fine.
    const sibling = await start({ ...dirs('sibling', 'one'), env: { SIMULATE_SECONDS: '1' } });
    // Another folder (another machine) and no object store: models would be lost, so no start.
    // Its own temporary folder: the sidecar's socket folder, made before the refusal, must go with it.
    const elsewhereTmp = join(dir.path, 'elsewhere-tmp');
    mkdirSync(elsewhereTmp);
    const elsewhere = await refused({
      ...dirs('elsewhere'),
      env: { SIMULATE_SECONDS: '1', TMPDIR: elsewhereTmp },
    });
    assert.match(elsewhere, /api exited with 1/);
    assert.deepEqual(readdirSync(elsewhereTmp), [], 'no sidecar folder left');
    assert.match(elsewhere, /keeps its models in its own STATIC_DIR folder, this one in the folder \//);
    assert.match(elsewhere, /STORAGE_URL=s3:\/\/bucket\/prefix/);
    // A bucket beside processes on a folder is refused too.
    const beside = await refused({
      ...dirs('bucket-beside-folder'),
      env: { SIMULATE_SECONDS: '1', STORAGE_URL: `s3://${bucket}/models`, ...moto.env() },
    });
    assert.match(beside, /this one in s3:\/\/kiln-scale-test\/models\/.*STORAGE_URL/s);
    await Promise.all([first.stop(), sibling.stop()]);
  });

  void it('refuses a missing bucket at start with a clear message', async () => {
    const output = await refused({
      ...dirs('no-bucket'),
      env: { STORAGE_URL: 's3://no-such-bucket/models', ...moto.env() },
    });
    assert.match(
      output,
      /model storage unavailable: bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  void it('two processes, two folders, one bucket: every model downloads whole and in ranges from both', async () => {
    const env = {
      SIMULATE_SECONDS: '1',
      MAX_QUEUE: '5',
      STORAGE_URL: `s3://${bucket}/models`,
      ...moto.env(),
    };
    const a = await start({ ...dirs('a'), env });
    const b = await start({ ...dirs('b'), env });
    const health = await getJson<Health>(`${a.url}/api/health`);
    assert.equal(health.body.workers.length, 2, JSON.stringify(health.body.workers));
    assert.equal(health.body.queue.capacity, 2 + 5, 'one running slot per live worker + MAX_QUEUE');

    const tasks = await Promise.all([a, b, a, b].map((api) => runTask(api)));
    const ran = new Set<string>();
    for (const api of [a, b]) {
      if (/inference start task=/.test(api.output())) ran.add(api.url);
    }
    for (const { taskId, urls } of tasks) {
      for (const url of urls) {
        // Named by the model's own id (a UUID v4), never by its task's (issue 19).
        assert.match(url, /\/static\/[0-9a-f-]{36}(\.source)?\.glb$/);
        assert.ok(!url.includes(taskId), url);
        const answers = await Promise.all([a, b].map((api) => fetch(via(url, api))));
        const bodies = await Promise.all(answers.map(async (r) => Buffer.from(await r.arrayBuffer())));
        for (const answer of answers) assert.equal(answer.status, 200, url);
        assert.equal(bodies[0].subarray(0, 4).toString(), 'glTF');
        assert.deepEqual(bodies[0], bodies[1], `${url}: the same bytes from both processes`);
        for (const header of MODEL_HEADERS) {
          assert.equal(answers[0].headers.get(header), answers[1].headers.get(header), `${url} ${header}`);
        }
        assert.equal(answers[0].headers.get('content-type'), 'model/gltf-binary');
        for (const api of [a, b]) {
          const range = await rawGet(via(url, api), { Range: 'bytes=4-11' });
          assert.equal(range.status, 206);
          assert.deepEqual(range.body, bodies[0].subarray(4, 12));
          const etag = answers[0].headers.get('etag') ?? '';
          assert.equal((await rawGet(via(url, api), { 'If-None-Match': etag })).status, 304);
          assert.equal((await rawGet(via(url, api), { Range: `bytes=${bodies[0].length}-` })).status, 416);
          // If-Range: the range holds while the (strong) ETag still names the model.
          assert.equal((await rawGet(via(url, api), { Range: 'bytes=0-3', 'If-Range': etag })).status, 206);
          const changed = await rawGet(via(url, api), { Range: 'bytes=0-3', 'If-Range': '"0123"' });
          assert.equal(changed.status, 200);
          assert.equal(changed.body.length, bodies[0].length);
        }
      }
    }
    assert.equal(ran.size >= 1, true);
    await Promise.all([a.stop(), b.stop()]);
  });

  void it('STORAGE_PUBLIC_URL: model URLs point straight at the bucket, which answers with the same headers', async () => {
    await moto.makePublic(bucket);
    const publicUrl = `${moto.endpoint}/${bucket}`;
    const api = await start({
      ...dirs('public'),
      env: {
        SIMULATE_SECONDS: '1',
        STORAGE_URL: `s3://${bucket}/models`,
        STORAGE_PUBLIC_URL: publicUrl,
        ...moto.env(),
      },
    });
    const { taskId, urls } = await runTask(api);
    const modelId = /\/models\/([0-9a-f-]{36})\.glb$/.exec(urls[0])?.[1];
    assert.ok(modelId !== undefined && modelId !== taskId, urls[0]);
    assert.deepEqual(urls, [
      `${publicUrl}/models/${modelId}.glb`,
      `${publicUrl}/models/${modelId}.source.glb`,
    ]);
    for (const url of urls) {
      const direct = await fetch(url);
      assert.equal(direct.status, 200, url);
      assert.equal(direct.headers.get('content-type'), 'model/gltf-binary');
      assert.equal(direct.headers.get('cache-control'), 'public, max-age=172800, immutable');
      const bytes = Buffer.from(await direct.arrayBuffer());
      assert.equal(bytes.subarray(0, 4).toString(), 'glTF');
      // The api still answers the same model at /static/ (old links, scripts).
      const viaApi = await fetch(
        `${api.url}${new URL(url).pathname.replace(`/${bucket}/models`, '/static')}`,
      );
      assert.deepEqual(Buffer.from(await viaApi.arrayBuffer()), bytes);
    }
    const csp = (await fetch(`${api.url}/api/health`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' blob: ${moto.endpoint.replace(/[.:/]/g, '\\$&')}`));
    await api.stop();
  });
});
