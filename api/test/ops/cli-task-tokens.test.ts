import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/env';

const TASK_TOKENS = pathToFileURL(join(REPO_ROOT, 'cli', 'lib', 'task-tokens.mjs')).href;

/** One `kiln3d`-like process: remembers `count` tasks of its own at once; resolves with its exit code and stderr. */
function rememberFrom(
  stateHome: string,
  name: string,
  count: number,
): Promise<{ code: number | null; stderr: string }> {
  const script = [
    `const { rememberTask } = await import(${JSON.stringify(TASK_TOKENS)});`,
    `await Promise.all(Array.from({ length: ${count} }, (_, i) =>`,
    `  rememberTask(${JSON.stringify(name)} + '-' + i, { token: 't-' + i, server: 'http://127.0.0.1:1', picture: 'p.png', sentAt: new Date().toISOString() })));`,
  ].join('\n');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, HOME: stateHome, XDG_STATE_HOME: stateHome },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

void describe("the CLI's state file (cli/lib/task-tokens.mjs)", () => {
  const dir = tempDir('cli-state');
  after(() => dir.remove());

  void it('keeps every task when several kiln3d processes write it at the same time', async () => {
    const processes = 6;
    const each = 15;
    const runs = await Promise.all(
      Array.from({ length: processes }, (_, i) => rememberFrom(dir.path, `run${i}`, each)),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const file = join(dir.path, 'kiln3d', 'tasks.json');
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { token: string }>;
    const expected = Array.from({ length: processes }, (_, p) =>
      Array.from({ length: each }, (_, i) => `run${p}-${i}`),
    ).flat();
    const lost = expected.filter((id) => kept[id]?.token === undefined);
    assert.deepEqual(lost, [], `${lost.length} of ${expected.length} tasks lost`);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'only its owner may read the tokens');
  });
});
