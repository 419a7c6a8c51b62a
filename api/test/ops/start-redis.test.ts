/**
 * The Redis `npm start` starts when none answers (scripts/lib/ensure.mjs ensureRedis) lives in a
 * process group of its own: Ctrl-C in the terminal, `timeout`, or a service manager signalling the
 * whole group reaches `npm start` and the api, whose graceful shutdown puts the running job back
 * in Redis, but not Redis itself, which start.mjs stops once the api has exited.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { freePort } from '../support/ports';
import { REPO_ROOT, waitFor } from '../support/env';

interface Ensure {
  redisAnswers(host: string, port: number, timeoutMs?: number): Promise<boolean>;
  ensureRedis(url: string, options: { persist: boolean; defaultPortOnly?: boolean }): Promise<unknown>;
}

void describe("npm start's own Redis (ensureRedis)", () => {
  void it('outlives a signal to the whole process group, and answers until its starter stops it', async () => {
    const ensure = (await import(
      pathToFileURL(join(REPO_ROOT, 'scripts', 'lib', 'ensure.mjs')).href
    )) as Ensure;
    const port = await freePort();
    // A starter as start.mjs is one: starts Redis, and on SIGINT waits a moment (an api's
    // graceful shutdown), says whether Redis still answers, then stops it.
    const starter = `
      import { ensureRedis, redisAnswers } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'scripts', 'lib', 'ensure.mjs')).href)};
      const redis = await ensureRedis('redis://127.0.0.1:${port}', { persist: false });
      process.on('SIGINT', async () => {
        await new Promise((r) => setTimeout(r, 500));
        process.stdout.write('answers after the signal: ' + (await redisAnswers('127.0.0.1', ${port})) + '\\n');
        redis.kill('SIGTERM');
      });
      process.stdout.write('ready\\n');
    `;
    // Its own group, as a terminal's foreground job is.
    const child = spawn(process.execPath, ['--input-type=module', '-e', starter], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(
        'Redis started',
        () => Promise.resolve(output.includes('ready\n') ? true : undefined),
        30_000,
      );
      assert.equal(await ensure.redisAnswers('127.0.0.1', port), true);
      // Bounded as compose's (the api's store_full guard reads it), never evicting Bull's keys.
      const probe = new Redis({ port, lazyConnect: true });
      try {
        await probe.connect();
        assert.deepEqual(await probe.config('GET', 'maxmemory'), ['maxmemory', String(1024 ** 3)]);
        assert.deepEqual(await probe.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
      } finally {
        probe.disconnect();
      }
      // Ctrl-C: SIGINT to every process of the foreground group.
      process.kill(-(child.pid as number), 'SIGINT');
      assert.equal(await exited, 0, output);
      assert.match(output, /answers after the signal: true/);
      await waitFor('Redis stopped by its starter', async () =>
        (await ensure.redisAnswers('127.0.0.1', port)) ? undefined : true,
      );
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    }
  });

  void it("npm start's way (defaultPortOnly): a REDIS_URL on another local port that does not answer is said, no Redis started there", async () => {
    const ensure = (await import(
      pathToFileURL(join(REPO_ROOT, 'scripts', 'lib', 'ensure.mjs')).href
    )) as Ensure;
    const port = await freePort();
    await assert.rejects(
      ensure.ensureRedis(`redis://127.0.0.1:${port}/9`, { persist: false, defaultPortOnly: true }),
      new RegExp(
        `^Error: Redis is not reachable at 127\\.0\\.0\\.1:${port} \\(REDIS_URL\\)\\. Start the Redis it names`,
      ),
    );
    assert.equal(await ensure.redisAnswers('127.0.0.1', port), false, 'nothing listens there');
  });
});
