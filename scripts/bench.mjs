// `npm run bench`: every benchmark of the product, each figure beside a baseline measured in the
// same run, printed as one table and written as JSON (docs/performance.md says what each row
// measures). Usage: node scripts/bench.mjs [--quick] [--only NAME ...] [--no-build]
//   --quick      the reduced form of every row (what `npm test` runs: it prints, asserts no timing)
//   --only NAME  only the rows whose file name contains NAME (repeatable; written to partial.json)
//   --no-build   skip compiling api/ (dist/api-test is current)
// A row is one file api/bench/rows/<name>.row.ts (see api/bench/support/bench-row.ts). Exits 1
// only when a row fails to run; a goal not met is a figure, not a failure.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, hostname, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  ROOT,
  checkNode,
  ensureChromium,
  ensureMoto,
  ensureNodeModules,
  ensurePython,
  ensureRedis,
  ensureWebBuild,
} from './lib/ensure.mjs';
import { mustRun, runCapture } from './lib/run.mjs';

const ROWS_DIR = join(ROOT, 'dist', 'api-test', 'bench', 'rows');
const RUN_ROW = join(ROOT, 'dist', 'api-test', 'bench', 'run-row.js');

function parseArgs(argv) {
  const options = { quick: false, only: [], build: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--no-build') options.build = false;
    else if (argv[i] === '--only') options.only.push(argv[++i] ?? '');
    else throw new Error(`unknown option ${argv[i]} (--quick, --only NAME, --no-build)`);
  }
  return options;
}

const fmt = (value, unit) => {
  if (!Number.isFinite(value)) return '-';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`.trim();
};

/**
 * Why a row's process failed, in one line: the error's first line as run-row.ts marks it
 * (`[bench] row failed: …`), else the output's last non-empty line, cut to 400 characters.
 */
export function whyFailed(output) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const marked = lines.findLast((l) => l.startsWith('[bench] row failed: '));
  const error = marked?.slice('[bench] row failed: '.length) ?? lines.at(-1) ?? 'no output';
  return error.length > 400 ? `${error.slice(0, 400)}…` : error;
}

/** The table as text: one line per figure, grouped by row. */
export function formatTable(rows) {
  const header = ['row', 'figure', 'value', 'baseline', 'ratio', 'goal', 'verdict'];
  const cells = [];
  for (const row of rows) {
    if (row.error) {
      cells.push([row.name, 'FAILED TO RUN', '-', '-', '-', '-', 'error']);
      continue;
    }
    for (const l of row.lines) {
      cells.push([
        l.row,
        l.figure,
        fmt(l.value, l.unit),
        l.baseline ? `${fmt(l.baseline.value, l.unit)} (${l.baseline.label})` : '-',
        l.ratio === undefined ? '-' : `${l.ratio.toFixed(2)}×`,
        l.goal ?? '-',
        l.met === undefined ? '-' : l.met ? 'met' : 'NOT MET',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

function machine() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout.
  }
  return {
    host: hostname(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 1e9),
    load_average_1m_at_start: Number(loadavg()[0].toFixed(2)),
    kernel: release(),
    node: process.version,
    commit,
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  checkNode();
  await ensureNodeModules();
  await ensurePython();
  await ensureWebBuild();
  await ensureChromium();
  // The scale-out row's object store (moto_server), as the tests start it.
  await ensureMoto();
  // Only the server of the rows' database (KILN_BENCH_REDIS_URL, as run-row.ts reads it) is needed.
  const redis = await ensureRedis(process.env.KILN_BENCH_REDIS_URL || 'redis://127.0.0.1:6379', {
    persist: false,
  });
  if (options.build) {
    rmSync(join(ROOT, 'dist', 'api-test'), { recursive: true, force: true });
    // tsc, then the server's bundle that the rows start (scripts/lib/api-build.mjs).
    await mustRun(
      'compiling the api and its benchmarks',
      process.execPath,
      [join(ROOT, 'scripts', 'lib', 'api-build.mjs'), '--test'],
      { cwd: ROOT },
    );
  }
  const files = readdirSync(ROWS_DIR)
    .filter((f) => f.endsWith('.row.js'))
    .filter((f) => options.only.length === 0 || options.only.some((o) => f.includes(o)));
  const scratch = mkdtempSync(join(tmpdir(), 'kiln3d-bench-'));
  const rows = [];
  for (const file of files) {
    const out = join(scratch, `${file}.json`);
    const t0 = Date.now();
    console.log(`[bench] ▶ ${file}${options.quick ? ' (quick)' : ''}`);
    const args = [RUN_ROW, join(ROWS_DIR, file), out, ...(options.quick ? ['--quick'] : [])];
    const { code, output } = await runCapture(process.execPath, args, { cwd: ROOT, env: process.env });
    const seconds = (Date.now() - t0) / 1000;
    if (code === 0 && existsSync(out)) rows.push({ ...JSON.parse(readFileSync(out, 'utf8')), seconds });
    else
      rows.push({
        name: file.replace(/\.row\.js$/, ''),
        order: 999,
        error: `exit ${code}`,
        why: whyFailed(output),
        seconds,
      });
    console.log(`[bench] ${file}: ${seconds.toFixed(1)} s${code === 0 ? '' : ` (FAILED, exit ${code})`}`);
  }
  rmSync(scratch, { recursive: true, force: true });
  redis?.kill('SIGTERM');
  rows.sort((a, b) => a.order - b.order);

  const report = {
    generated_at: new Date().toISOString(),
    quick: options.quick,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    machine: machine(),
    rows,
  };
  const outDir = join(ROOT, 'dist', 'bench');
  mkdirSync(outDir, { recursive: true });
  // A partial run (--only) never replaces the last whole table.
  const outFile = join(
    outDir,
    `${options.only.length > 0 ? 'partial' : 'latest'}${options.quick ? '-quick' : ''}.json`,
  );
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);

  const m = report.machine;
  console.log(
    `\n[bench] ${options.quick ? 'quick ' : ''}table — ${m.cores} × ${m.cpu}, load ${m.load_average_1m_at_start} at start, ` +
      `Node ${m.node}, commit ${m.commit}`,
  );
  console.log(formatTable(rows));
  for (const row of rows) {
    for (const l of row.lines ?? []) if (l.note) console.log(`  ${l.row} / ${l.figure}: ${l.note}`);
  }
  const failed = rows.filter((r) => r.error);
  // The reason again after the table: a CI summary keeps only a job's last lines.
  for (const row of failed) console.log(`[bench] ${row.name} failed (${row.error}): ${row.why}`);
  console.log(
    `[bench] ${rows.length} row(s) in ${report.seconds} s (rows: ${rows.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s); ` +
      `${failed.length} failed to run; written to ${outFile}`,
  );
  process.exitCode = failed.length === 0 && rows.length > 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(`[bench] ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
