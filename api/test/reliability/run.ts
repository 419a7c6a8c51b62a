import { runApiFuzz } from './api-fuzz';
import type { CategoryRun, Profile } from './harness';
import { type CategoryReport, emptyReport, formatTable, isClean } from './report';
import { runFaults } from './faults';
import { runLoad } from './load';
import { runStaticFiles } from './static-files';
import { runUploadFuzz } from './upload-fuzz';
import { runUploads } from './uploads';
import { runWiring } from './wiring';

/**
 * The reliability suite's runner (issue 11, docs/reliability.md):
 *   node dist/api-test/test/reliability/run.js [--full] [category ...]
 * quick profile by default (inside `npm test`), --full for `npm run test:reliability`. Prints
 * one table (tried, documented, crashed, files left, tasks lost per category), then
 * `# pass N` / `# fail N` over the cases for scripts/test.mjs; exits 1 on any case not
 * documented, any crash, lost task or file left behind.
 */
const CATEGORIES: Record<string, CategoryRun> = {
  uploads: runUploads,
  fuzz: runUploadFuzz,
  static: runStaticFiles,
  load: runLoad,
  faults: runFaults,
  wiring: runWiring,
  schemathesis: runApiFuzz,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const profile: Profile =
    args.includes('--full') || process.env.KILN_RELIABILITY === 'full' ? 'full' : 'quick';
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((a) => !(a in CATEGORIES));
  if (unknown.length > 0)
    throw new Error(`unknown categories ${unknown.join(', ')}; known: ${Object.keys(CATEGORIES).join(', ')}`);
  const names = wanted.length > 0 ? wanted : Object.keys(CATEGORIES);
  console.log(`reliability suite, ${profile} profile: ${names.join(', ')}`);
  const reports: CategoryReport[] = [];
  for (const name of names) {
    const started = Date.now();
    console.log(`\n▶ ${name}`);
    let report: CategoryReport;
    try {
      report = await CATEGORIES[name]({ profile, log: (m) => console.log(`[${name}] ${m}`) });
    } catch (error) {
      // The category's own machinery broke: one crashed case stands for it.
      report = emptyReport(name);
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      report.cases.push({ name: 'category run', documented: false, crashed: true, detail });
      console.log(`[${name}] the category failed to run: ${detail}`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`[${name}] ${report.cases.length} cases in ${seconds} s`);
    for (const c of report.cases.filter((c) => !c.documented || c.crashed)) {
      console.log(`[${name}]   not documented${c.crashed ? ' (crash)' : ''}: ${c.name}: ${c.detail}`);
    }
    for (const f of report.strayFiles) console.log(`[${name}]   file left behind: ${f}`);
    for (const t of report.lostTasks) console.log(`[${name}]   task lost: ${t}`);
    for (const s of report.skipped) console.log(`[${name}]   skipped: ${s}`);
    for (const n of report.notes) console.log(`[${name}]   ${n}`);
    reports.push(report);
  }
  console.log(`\n${formatTable(reports)}\n`);
  const cases = reports.flatMap((r) => r.cases);
  const failed = cases.filter((c) => !c.documented || c.crashed).length;
  const leaks = reports.filter((r) => r.strayFiles.length > 0 || r.lostTasks.length > 0).length;
  console.log(`# pass ${cases.length - failed}`);
  console.log(`# fail ${failed + leaks}`);
  process.exitCode = reports.every(isClean) ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
