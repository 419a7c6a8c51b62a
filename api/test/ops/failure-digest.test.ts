import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/env';

interface FailureDigest {
  failureDigest(output: string): string[];
}

/** scripts/lib/failure-digest.mjs, the runner's own module (an ES module: imported at run time). */
async function digestOf(output: string): Promise<string[]> {
  const path = join(REPO_ROOT, 'scripts', 'lib', 'failure-digest.mjs');
  return ((await import(path)) as FailureDigest).failureDigest(output);
}

/** One real run of a test runner in `cwd`, colours on (as a terminal or CI may have them). */
function run(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, FORCE_COLOR: '1' },
  });
  assert.equal(result.status, 1, `the fixture has a failing test:\n${result.stdout}${result.stderr}`);
  return `${result.stdout}${result.stderr}`;
}

/** Runs `body` in a fresh temporary folder, removed afterwards. */
async function inTempDir(name: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir(name);
  try {
    await body(dir.path);
  } finally {
    dir.remove();
  }
}

/**
 * `npm test` repeats, next to its last line, which tests of a failed job failed and why: CI keeps
 * only a run's tail. Each case runs the real runner on a fixture with one passing and one failing test.
 */
void describe('npm test: what failed, at the end of the output', () => {
  void it('node:test: each failing test named with its file position and message, not its stack', async () => {
    await inTempDir('failure-digest-node', async (dir) => {
      writeFileSync(
        join(dir, 'fixture.test.mjs'),
        [
          "import assert from 'node:assert/strict';",
          "import { describe, it } from 'node:test';",
          "describe('a suite', () => {",
          "  it('passes', () => {});",
          "  it('compares', () => { assert.equal(1, 2, 'one is not two'); });",
          '});',
        ].join('\n'),
      );
      const digest = await digestOf(
        run(process.execPath, ['--test', '--test-reporter=spec', 'fixture.test.mjs'], dir),
      );
      assert.equal(digest[0], 'test at fixture.test.mjs:5:3');
      assert.match(digest[1], /^✖ compares \(/);
      assert.equal(digest[2], '  AssertionError [ERR_ASSERTION]: one is not two');
      assert.ok(
        !digest.some((line) => /passes|\bat TestContext/.test(line) || line.includes('\u001b')),
        digest.join('\n'),
      );
    });
  });

  void it("pytest: the short test summary's FAILED line", async () => {
    await inTempDir('failure-digest-pytest', async (dir) => {
      writeFileSync(
        join(dir, 'test_fixture.py'),
        'def test_passes() -> None:\n    pass\n\n\ndef test_adds() -> None:\n    assert 1 + 1 == 3, "arithmetic"\n',
      );
      const python = join(REPO_ROOT, 'inference', '.venv', 'bin', 'python');
      const output = run(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_fixture.py'], dir);
      assert.deepEqual(await digestOf(output), [
        'FAILED test_fixture.py::test_adds - AssertionError: arithmetic',
      ]);
    });
  });

  void it("vitest: the FAIL line and its message's first line", async () => {
    await inTempDir('failure-digest-vitest', async (dir) => {
      writeFileSync(
        join(dir, 'fixture.spec.ts'),
        [
          "import { describe, expect, it } from 'vitest';",
          "describe('a suite', () => {",
          "  it('passes', () => expect(1).toBe(1));",
          "  it('compares', () => expect(1).toBe(2));",
          '});',
        ].join('\n'),
      );
      const vitest = join(REPO_ROOT, 'node_modules', '.bin', 'vitest');
      const output = run(vitest, ['run', '--root', dir, 'fixture.spec.ts'], dir);
      assert.deepEqual(await digestOf(output), [
        'FAIL  fixture.spec.ts > a suite > compares',
        '  AssertionError: expected 1 to be 2 // Object.is equality',
      ]);
    });
  });

  void it('a crash before any report: its last lines', async () => {
    await inTempDir('failure-digest-crash', async (dir) => {
      writeFileSync(
        join(dir, 'crash.mjs'),
        "console.log('starting');\nthrow new Error('no such file: dist/web');\n",
      );
      const digest = await digestOf(run(process.execPath, ['crash.mjs'], dir));
      assert.ok(digest.length <= 6, digest.join('\n'));
      assert.ok(
        digest.some((line) => line.includes('Error: no such file: dist/web')),
        digest.join('\n'),
      );
    });
  });

  void it('a long digest is cut to 24 lines, the last saying how many more', async () => {
    const output = ['=== short test summary info ===']
      .concat(Array.from({ length: 30 }, (_, i) => `FAILED tests/test_x.py::test_${i} - AssertionError`))
      .join('\n');
    const digest = await digestOf(output);
    assert.equal(digest.length, 24);
    assert.equal(digest[22], 'FAILED tests/test_x.py::test_22 - AssertionError');
    assert.equal(digest[23], '… (7 more lines)');
  });
});
