import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/env';

interface Attacks {
  refused: string[];
  succeeded: string[];
  skipped: string[];
}
interface SecurityReport {
  attacksOf(output: string): Attacks;
  securityTable(runs: { category: string; output: string }[]): {
    table: string;
    tried: number;
    refused: number;
    succeeded: number;
    skipped: number;
  };
}

/** scripts/lib/security-report.mjs, the runner's own module (an ES module: imported at run time). */
async function report(): Promise<SecurityReport> {
  const path = join(REPO_ROOT, 'scripts', 'lib', 'security-report.mjs');
  return (await import(path)) as SecurityReport;
}

/**
 * The security suite's counts (docs/security.md) are read from node:test's spec reporter: this
 * runs a real `node --test` on a file with one attack of each outcome and counts its output.
 */
void describe('security suite: the counts of a run', () => {
  void it('a passing attack test is refused, a failing one succeeded, a skipped one neither; other tests are not attacks', async () => {
    const dir = tempDir('security-report');
    try {
      const file = join(dir.path, 'fixture.test.mjs');
      writeFileSync(
        file,
        [
          "import { describe, it } from 'node:test';",
          "describe('security: a family', () => {",
          "  it('attack: refused one -> 403', () => {});",
          "  it('attack: one that got through -> 200', () => { throw new Error('answered 200'); });",
          "  it('attack: needs a LAN address', { skip: 'no LAN address' }, () => {});",
          "  it('a helper check, not an attack', () => {});",
          '});',
        ].join('\n'),
      );
      const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', file], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, FORCE_COLOR: '1' },
      });
      assert.equal(run.status, 1, 'the fixture has a failing test');
      const { attacksOf, securityTable } = await report();
      assert.deepEqual(attacksOf(run.stdout), {
        refused: ['attack: refused one -> 403'],
        succeeded: ['attack: one that got through -> 200'],
        skipped: ['attack: needs a LAN address'],
      });
      const table = securityTable([{ category: 'a-family', output: run.stdout }]);
      assert.deepEqual([table.tried, table.refused, table.succeeded, table.skipped], [2, 1, 1, 1]);
      assert.match(table.table, /\| a-family \| 2 \| 1 \| 1 \| 1 \|/);
      assert.match(table.table, /- a-family: attack: one that got through -> 200/);
    } finally {
      dir.remove();
    }
  });

  void it('every file of the security suite is a category of docs/security.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
    const files = readdirSync(join(REPO_ROOT, 'api', 'test', 'security')).filter((f) =>
      f.endsWith('.test.ts'),
    );
    assert.ok(files.length >= 8, files.join(' '));
    for (const file of files) {
      const category = file.replace(/\.test\.ts$/, '');
      assert.match(
        doc,
        new RegExp(`^### \`${category}\``, 'm'),
        `docs/security.md has no section for ${category}`,
      );
    }
  });
});
