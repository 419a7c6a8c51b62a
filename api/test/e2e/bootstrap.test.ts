import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { API_MAIN, startApi, startWith } from '../support/api-process';
import { freePort } from '../support/ports';
import { REPO_ROOT, TEST_REDIS_URL, tempDir, waitFor } from '../support/env';
import { getJson, sample, upload } from '../support/http-client';

/** main.ts validates the environment before anything starts. */
void describe('bootstrap configuration check', () => {
  const cases: [string, string][] = [
    ['PORT', 'eighty'],
    ['MAX_QUEUE', '-3'],
    ['INFERENCE_ENGINE', 'gpu'],
    ['CLEANUP_CRON', 'every night'],
  ];
  for (const [name, value] of cases) {
    void it(`${name}=${value}: exit code 1 and a message naming ${name}`, () => {
      const result = startWith({ [name]: value });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^Invalid configuration: ${name} `, 'm'));
    });
  }

  void it('a Redis database the server lacks, or a path that is none: exit 1 and one line (never database 0)', () => {
    const missing = new URL(TEST_REDIS_URL);
    missing.pathname = '/99';
    const lacking = startWith({ REDIS_URL: missing.toString() });
    assert.equal(lacking.status, 1, lacking.stderr);
    assert.match(
      lacking.stderr,
      /^Kiln3D api: REDIS_URL=\S+\/99 names database 99, which this Redis server does not have/m,
    );
    assert.doesNotMatch(lacking.stderr, /^\s+at /m, 'no stack trace');
    missing.pathname = '/abc';
    const notNumber = startWith({ REDIS_URL: missing.toString() });
    assert.equal(notNumber.status, 1, notNumber.stderr);
    assert.match(notNumber.stderr, /^Invalid configuration: REDIS_URL's path must be a database number/m);
  });

  void it('a LOG_DIR that cannot be made (under a file, under /proc): exit 1 and one line naming LOG_DIR', () => {
    const dir = tempDir('bad-log-dir');
    try {
      const file = join(dir.path, 'a-file');
      writeFileSync(file, '');
      for (const [logDir, why] of [
        [join(file, 'logs'), 'ENOTDIR'],
        // Node's recursive mkdir loops for ever there; the start must not.
        ['/proc/kiln3d-nonexistent/logs', 'ENOENT'],
      ]) {
        const started = startWith({ LOG_DIR: logDir, STATIC_DIR: join(dir.path, 'static') });
        assert.equal(started.status, 1, started.stderr);
        assert.match(
          started.stderr,
          new RegExp(`^Kiln3D api: the log folder ${logDir} \\(LOG_DIR\\) cannot be used: ${why}`, 'm'),
        );
        assert.doesNotMatch(started.stderr, /^\s+at /m, 'no stack trace');
      }
    } finally {
      dir.remove();
    }
  });

  void it('starts without Redis and says so: /api/health 503 with redis down', async () => {
    const dir = tempDir('no-redis');
    // The test database's URL on a port where nothing listens.
    const unreachable = new URL(TEST_REDIS_URL);
    unreachable.port = String(await freePort());
    const api = await startApi({
      staticDir: `${dir.path}/static`,
      logDir: `${dir.path}/logs`,
      env: { REDIS_URL: unreachable.toString() },
    });
    try {
      const health = await getJson<{ status: string; redis: { up: boolean } }>(`${api.url}/api/health`);
      assert.equal(health.status, 503);
      assert.equal(health.body.status, 'degraded');
      assert.equal(health.body.redis.up, false);
      // An upload needs Redis: said as such, with when to come back (not a 500).
      const refused = await upload(api.url, sample('typical_misc_lantern.png'));
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.body, {
        success: false,
        error: 'The task store is not reachable, retry later',
        code: 'store_unavailable',
      });
      assert.equal(refused.headers.get('retry-after'), '10');
    } finally {
      // Bull cannot close cleanly without Redis; main.ts's watchdog ends such a stop after 30 s.
      await api.kill();
      dir.remove();
    }
  });

  void it("a sidecar that can never start: health 503 'failed', and an upload refused 503 engine_unavailable before it is decoded", async () => {
    const dir = tempDir('sidecar-failed');
    // A value the sidecar refuses (exit 2) at every start: its crash loop makes it 'failed'.
    const api = await startApi({
      staticDir: join(dir.path, 'static'),
      logDir: join(dir.path, 'logs'),
      env: { KILN_TRELLIS2_TEXTURE_SIZE: '3000' },
      waitReady: false,
    });
    try {
      type Health = { inference: { state: string; message: string }; workers: { state: string }[] };
      const failed = await waitFor(
        "the sidecar 'failed' in /api/health and in its worker's heartbeat",
        async () => {
          const health = await getJson<Health>(`${api.url}/api/health`);
          return health.body.inference.state === 'failed' && health.body.workers[0]?.state === 'down'
            ? health
            : undefined;
        },
        45_000,
        250,
      );
      assert.equal(failed.status, 503);
      const refused = await upload(api.url, sample('typical_misc_lantern.png'));
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.body, {
        success: false,
        error: 'The model engine is not available, retry later',
        code: 'engine_unavailable',
      });
      assert.equal(refused.headers.get('retry-after'), '60');
    } finally {
      await api.stop();
      dir.remove();
    }
  });

  void it('a port already in use: exit 1, one line saying what to do, and nothing left behind', async () => {
    const dir = tempDir('port-in-use');
    const first = await startApi({ staticDir: join(dir.path, 'static'), logDir: join(dir.path, 'logs') });
    // The second process's own temporary folder: a sidecar it started would make its socket folder there.
    const secondTmp = join(dir.path, 'tmp');
    mkdirSync(secondTmp);
    try {
      const second = spawn(process.execPath, [API_MAIN], {
        cwd: REPO_ROOT,
        env: { ...first.env, TMPDIR: secondTmp, LOG_DIR: join(dir.path, 'logs-second') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      second.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
      assert.equal(code, 1, stderr);
      assert.match(
        stderr,
        new RegExp(
          `^Kiln3D api: cannot listen on port ${first.port}: it is already in use \\(another Kiln3D, or ` +
            `another program\\)\\. Stop that one, or choose another port: PORT=${first.port + 1} npm start$`,
          'm',
        ),
      );
      assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
      // Said before anything started: the one line is all it wrote.
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.equal(stdout, '');
      assert.deepEqual(readdirSync(secondTmp), [], 'no sidecar folder left');
      // The running api never counts the process that failed among its workers.
      const health = await getJson<{ workers: { pid: number }[] }>(`${first.url}/api/health`);
      assert.deepEqual(
        health.body.workers.map((w) => w.pid),
        [first.child.pid],
      );
    } finally {
      await first.stop();
      dir.remove();
    }
  });
});
