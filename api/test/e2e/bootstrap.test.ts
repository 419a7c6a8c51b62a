import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { API_MAIN, freePort, startApi } from '../support/api-process';
import { REPO_ROOT, TEST_REDIS_URL, tempDir } from '../support/env';
import { getJson } from '../support/http-client';

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
      const result = spawnSync(process.execPath, [API_MAIN], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, [name]: value, REDIS_URL: TEST_REDIS_URL },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^Invalid configuration: ${name} `, 'm'));
    });
  }

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
    } finally {
      // Bull cannot close cleanly without Redis; main.ts's watchdog ends such a stop after 30 s.
      await api.kill();
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
