import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiProcess, startApi } from '../support/api-process';
import { clearKilnKeys, sleep, tempDir } from '../support/env';
import { sendRaw } from '../support/raw-http';
import { NO_SIDECAR, attackVolume } from './support';

/** The app's log files (not the app.log symlink, not the audit). */
function logFiles(logDir: string): string[] {
  return readdirSync(logDir).filter((name) => /^app-.*\.log/.test(name));
}

/**
 * Anyone can make the api write a log line (every 404 is logged with its URL). LOG_MAX_MB=0.05
 * (50 KiB, files of 5 KiB) makes the size cap visible within a test.
 */
void describe('security: log flooding', () => {
  const dir = tempDir('security-logs');
  const logDir = join(dir.path, 'logs');
  let api: ApiProcess;

  before(async () => {
    await clearKilnKeys();
    api = await startApi({
      staticDir: join(dir.path, 'static'),
      logDir,
      env: { ...NO_SIDECAR, LOG_MAX_MB: '0.05' },
      waitReady: false,
    });
  });
  after(async () => {
    await api?.kill();
    await clearKilnKeys();
    dir.remove();
  });

  void it('attack: a 10 KB URL on a 404 -> the log line quotes 512 characters of it and says how long it was', async () => {
    const path = `/api/${'a'.repeat(10_000)}`;
    const reply = await sendRaw(`${api.url}${path}`);
    assert.equal(reply.status, 404);
    await sleep(300);
    const line = api
      .output()
      .split('\n')
      .find((l) => l.includes('/api/aaaa'));
    assert.ok(line !== undefined, 'the 404 is logged');
    assert.ok(line.length < 1200, `${line.length} characters`);
    assert.match(line, /\.\.\. \(10005 chars\)/);
  });

  void it('attack: thousands of long-URL requests -> the log files stay within LOG_MAX_MB', async () => {
    const path = `/api/${'b'.repeat(2000)}`;
    for (let round = 0; round < attackVolume(20, 100); round++) {
      await Promise.all(Array.from({ length: 20 }, () => sendRaw(`${api.url}${path}`)));
    }
    // The logger prunes again a second after its last new file.
    await sleep(1500);
    const files = logFiles(logDir);
    const total = files.reduce((sum, name) => sum + lstatSync(join(logDir, name)).size, 0);
    assert.ok(files.length >= 3, `rotated by size: ${files.join(' ')}`);
    assert.ok(total <= 0.05 * 1024 * 1024 * 1.1, `${total} bytes in ${files.length} files`);
    // The newest lines are kept (what an operator reads first).
    const newest = readFileSync(join(logDir, 'app.log'), 'utf8');
    assert.match(newest, /\/api\/bbbb/);
  });
});
