/**
 * The log folder on a full filesystem (docs/reliability.md): the api's logger must keep the
 * process alive when its file cannot be written (ENOSPC), as it must when the model store fills
 * the same disk. Real: a 256 kB tmpfs in a mount namespace of the test's own (`unshare -m`, as
 * root), and a process that makes the app's logger there and writes past the end of the disk.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/env';

const skip =
  process.getuid?.() === 0
    ? false
    : 'needs root: the log folder is a tmpfs in its own mount namespace (unshare -m)';

void describe('the log folder on a full disk', { skip }, () => {
  void it('a log file that cannot be written (ENOSPC) is said once on stderr, and the process lives on', async () => {
    const dir = tempDir('log-disk-full');
    const logDir = join(dir.path, 'logs');
    const logger = join(REPO_ROOT, 'dist', 'api-test', 'src', 'common', 'logging', 'winston-logger.js');
    // 600 kB of lines into 256 kB; then a few more, later, which would also have thrown.
    const writer = `
      const { createAppLogger } = require(${JSON.stringify(logger)});
      const log = createAppLogger(process.argv[1]);
      const line = 'x'.repeat(200);
      for (let i = 0; i < 3000; i++) log.log(line + ' ' + i, 'Flood');
      setTimeout(() => {
        for (let i = 0; i < 10; i++) log.log('after the disk filled ' + i, 'Flood');
        setTimeout(() => { process.stderr.write('still running\\n'); process.exit(0); }, 500);
      }, 1000);
    `;
    const script = `mkdir -p "$1" && mount -t tmpfs -o size=256k tmpfs "$1" && exec "$2" -e "$3" "$1"`;
    const child = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', logDir, process.execPath, writer],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /still running/);
      const said =
        stderr.match(
          /^Kiln3D api: cannot write the log file \(.*ENOSPC.*\); logging to the console only$/gm,
        ) ?? [];
      assert.equal(said.length, 1, stderr.slice(-2000));
      assert.doesNotMatch(stderr, /Unhandled 'error' event/);
    } finally {
      dir.remove();
    }
  });
});
