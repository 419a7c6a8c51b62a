/**
 * `npm start`'s hold on its api (scripts/lib/supervise.mjs, as scripts/start.mjs uses it): when
 * whatever started it goes away without passing a signal on (npm, signalled, exits and leaves its
 * script on ppid 1), the starter stops its child gracefully instead of leaving it holding the
 * port. Real processes: a parent (sh) runs a starter that supervises a child standing for the api;
 * the test kills the parent alone and waits for the child's graceful stop.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, isAlive, tempDir, waitFor } from '../support/env';

void describe("npm start's supervision of its api (supervise.mjs)", () => {
  void it('stops the api gracefully (SIGTERM) when its own parent is killed, and then exits', async () => {
    const dir = tempDir('supervise');
    const marker = join(dir.path, 'api-stopped');
    // The stand-in api: says its pid, and records the signal of its graceful stop.
    const api = `
      process.on('SIGTERM', () => { require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'SIGTERM'); process.exit(0); });
      process.stdout.write('api ' + process.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const starter = `
      import { supervise } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'scripts', 'lib', 'supervise.mjs')).href)};
      supervise(process.execPath, ['-e', ${JSON.stringify(api)}], { cwd: ${JSON.stringify(dir.path)}, onExit: () => {} });
      process.stdout.write('starter ' + process.pid + '\\n');
    `;
    // The parent stands for npm: it runs the starter and is killed alone (SIGKILL: nothing passed on).
    const parent = spawn('sh', ['-c', `"${process.execPath}" --input-type=module -e "$STARTER" & wait`], {
      env: { ...process.env, STARTER: starter },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    parent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    parent.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const pids = await waitFor(
      'the starter and its api',
      () => {
        const starterPid = /starter (\d+)/.exec(output)?.[1];
        const apiPid = /api (\d+)/.exec(output)?.[1];
        return Promise.resolve(
          starterPid && apiPid ? { starter: Number(starterPid), api: Number(apiPid) } : undefined,
        );
      },
      20_000,
    );
    try {
      parent.kill('SIGKILL');
      await waitFor('the api stopped', () => Promise.resolve(isAlive(pids.api) ? undefined : true), 15_000);
      assert.ok(existsSync(marker), `the api was not stopped gracefully:\n${output}`);
      assert.equal(readFileSync(marker, 'utf8'), 'SIGTERM');
      await waitFor(
        'the starter exited',
        () => Promise.resolve(isAlive(pids.starter) ? undefined : true),
        10_000,
      );
    } finally {
      for (const pid of [pids.api, pids.starter]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      dir.remove();
    }
  });
});
