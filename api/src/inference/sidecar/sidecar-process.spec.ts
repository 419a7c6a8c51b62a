import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecaSidecarLauncher, SidecarSpawnSpec } from './sidecar-process';

function spec(command: string, args: string[], lines: string[], env: Record<string, string> = {}): SidecarSpawnSpec {
  return { command, args, cwd: '/', env, onLine: (stream, line) => lines.push(`${stream}: ${line}`) };
}

void describe('ExecaSidecarLauncher (tiny real processes)', { timeout: 30_000 }, () => {
  void test('forwards stdout and stderr line by line and reports the exit code', async () => {
    const lines: string[] = [];
    const script = 'echo "one"; echo "two" >&2; printf "three"; echo; echo "env $KILN_X"; exit 7';
    const child = await new ExecaSidecarLauncher().launch(spec('/bin/sh', ['-c', script], lines, { KILN_X: 'y' }));
    assert.ok(typeof child.pid === 'number');
    assert.deepEqual(await child.exited, { code: 7, signal: null });
    assert.deepEqual(lines.sort(), ['stderr: two', 'stdout: env y', 'stdout: one', 'stdout: three']);
  });

  void test('kill ends the process and the exit names the signal', async () => {
    const child = await new ExecaSidecarLauncher().launch(spec('/bin/sleep', ['30'], []));
    child.kill('SIGKILL');
    assert.deepEqual(await child.exited, { code: null, signal: 'SIGKILL' });
    child.kill('SIGTERM');
  });

  void test('a missing executable is a spawn error, not a throw', async () => {
    const child = await new ExecaSidecarLauncher().launch(spec('/nonexistent/python', [], []));
    assert.equal(child.pid, undefined);
    const exit = await child.exited;
    assert.match(exit.spawnError ?? '', /ENOENT/);
  });
});
