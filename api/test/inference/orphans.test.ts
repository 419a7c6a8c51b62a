/**
 * Medium test: the api process ending never leaves the sidecar behind, whether it stops through
 * Nest's shutdown (SIGTERM, as systemd or docker stop do), exits abruptly (process.exit), or is
 * killed outright (SIGKILL): in the last two the sidecar, in its own process group, notices that
 * KILN_PARENT_PID is gone.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { isAlive, removeDir, tempDir, until } from './support';

const FIXTURE = join(__dirname, 'fixtures', 'api-process.js');
// The api process makes its socket folder under TMPDIR; one killed outright cannot remove it.
const childTmp = tempDir('kiln3d-orphans-');
const children: ChildProcess[] = [];
const sidecars: number[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of sidecars) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  removeDir(childTmp);
});

async function startApiProcess(): Promise<{ child: ChildProcess; sidecarPid: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [FIXTURE], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, TMPDIR: childTmp },
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout });
  const sidecarPid = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve((JSON.parse(line) as { sidecarPid: number }).sidecarPid);
    });
    void exited.then((code) => reject(new Error(`api process exited early (${code})`)));
  });
  sidecars.push(sidecarPid);
  assert.ok(isAlive(sidecarPid));
  return { child, sidecarPid, exited };
}

void describe('no orphan sidecar when the api process ends', { timeout: 120_000 }, () => {
  void test('SIGTERM to the api: graceful shutdown stops the sidecar', async () => {
    const { child, sidecarPid, exited } = await startApiProcess();
    child.kill('SIGTERM');
    await exited;
    await until('the sidecar to be gone', () => !isAlive(sidecarPid), 10_000);
  });

  void test('process.exit() in the api, skipping Nest shutdown: the sidecar is still stopped', async () => {
    const { child, sidecarPid, exited } = await startApiProcess();
    child.stdin!.write('exit\n');
    assert.equal(await exited, 3);
    await until('the sidecar to be gone', () => !isAlive(sidecarPid), 10_000);
  });

  void test('SIGKILL to the api: the sidecar sees its parent gone and exits by itself', async () => {
    const { child, sidecarPid, exited } = await startApiProcess();
    child.kill('SIGKILL');
    await exited;
    await until('the sidecar to be gone', () => !isAlive(sidecarPid), 15_000);
  });
});
