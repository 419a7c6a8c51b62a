import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AUDIT_FILE, createAppLogger, pruneLogs, pruneOldLogs } from './winston-logger';

const folders: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln3d-logs-'));
  folders.push(dir);
  return dir;
}

/** Bytes of the app's log files in `dir` (not the app.log symlink, not the audit file). */
function logBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => name.startsWith('app-'))
    .reduce((sum, name) => sum + lstatSync(join(dir, name)).size, 0);
}

void describe('log files capped by size', () => {
  after(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  void it("pruneOldLogs deletes the files of days over 7 days old by their names, and earlier versions' audit files", () => {
    const dir = folder();
    const names = [
      'app-2026-11-29.log',
      'app-2026-11-29.log.1',
      'app-2026-11-30.log',
      'app-2026-12-07.log',
      '.08869c87cc4033812b3d8c8a734a143c128c01ad-audit.json',
      AUDIT_FILE,
      'notes-2026-01-01.log',
    ];
    for (const name of names) writeFileSync(join(dir, name), 'x');
    // 2026-12-07 local: the files of 2026-11-30 (7 days before) stay, those of 11-29 go.
    const deleted = pruneOldLogs(dir, new Date(2026, 11, 7, 12, 0));
    assert.deepEqual(deleted.sort(), [
      '.08869c87cc4033812b3d8c8a734a143c128c01ad-audit.json',
      'app-2026-11-29.log',
      'app-2026-11-29.log.1',
    ]);
    assert.deepEqual(readdirSync(dir).sort(), [
      AUDIT_FILE,
      'app-2026-11-30.log',
      'app-2026-12-07.log',
      'notes-2026-01-01.log',
    ]);
  });

  void it('pruneLogs deletes the oldest files (day, then number) until the rest fit; the current file stays', () => {
    const dir = folder();
    const names = [
      'app-2026-01-01.log',
      'app-2026-01-01.log.1',
      'app-2026-01-01.log.10',
      'app-2026-01-01.log.2',
      'app-2026-01-02.log',
    ];
    for (const name of names) writeFileSync(join(dir, name), Buffer.alloc(100));
    writeFileSync(join(dir, 'notes.txt'), Buffer.alloc(1000));
    const deleted = pruneLogs(dir, 250, join(dir, 'app-2026-01-02.log'));
    assert.deepEqual(deleted, ['app-2026-01-01.log', 'app-2026-01-01.log.1']);
    assert.deepEqual(readdirSync(dir).sort(), [
      'app-2026-01-01.log.10',
      'app-2026-01-01.log.2',
      'app-2026-01-02.log',
      'notes.txt',
    ]);
  });

  void it('the real logger: a flood of lines leaves about LOG_MAX_MB, in files of a tenth of it', async () => {
    const dir = folder();
    const budget = 100 * 1024;
    const logger = createAppLogger(dir, budget);
    const line = 'x'.repeat(1000);
    for (let burst = 0; burst < 30; burst++) {
      for (let i = 0; i < 50; i++) logger.log(`${line} ${burst}.${i}`, 'Flood');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The logger prunes again a second after its last new file, once the lines in flight have landed.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const files = readdirSync(dir).filter((name) => name.startsWith('app-'));
    assert.ok(files.length >= 5, files.join(' '));
    for (const name of files) assert.ok(lstatSync(join(dir, name)).size <= budget / 10 + 2048, name);
    // 1.5 MB written; what stays is the budget (the current file included).
    assert.ok(logBytes(dir) <= budget * 1.05, `${logBytes(dir)} bytes kept`);
  });

  void it('keeps one audit file whatever LOG_MAX_MB, so a changed budget still ages out the files of earlier runs', async () => {
    const dir = folder();
    for (const budget of [1024 * 1024, 2 * 1024 * 1024]) {
      createAppLogger(dir, budget).log(`a run with a budget of ${budget} bytes`, 'Audit');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const audits = readdirSync(dir).filter((name) => name.endsWith('.json'));
    // The library's default is "." + a hash of its options + "-audit.json": one per budget.
    assert.deepEqual(audits, [AUDIT_FILE]);
    const audit = JSON.parse(readFileSync(join(dir, AUDIT_FILE), 'utf8')) as { files: { name: string }[] };
    assert.ok(audit.files.length >= 1, JSON.stringify(audit));
  });
});
