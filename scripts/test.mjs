// `npm test`: every check and test suite of the project, on real Redis, a real sidecar and a
// real headless Chromium. Usage: node scripts/test.mjs [group ...]; groups: lint python api web e2e
// reliability (the reliability suite's quick profile, a short schemathesis pass included) bench
// (the benchmarks' quick form);
// reliability-full (`npm run test:reliability`: the whole suite, schemathesis included; not part
// of a plain `npm test`).
// Prints one line per step, then a closing "N passed, N failed" line over all test runners.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ROOT,
  VENV_PYTHON,
  checkNode,
  ensureApiBuild,
  ensureChromium,
  ensureDockerCompose,
  ensureMoto,
  ensureNginx,
  ensureNodeModules,
  ensurePython,
  ensureRedis,
  ensureSchemathesis,
  ensureWebBuild,
  ngBin,
  tscBin,
} from './lib/ensure.mjs';
import { runCapture } from './lib/run.mjs';

const node = process.execPath;
const bin = (pkg, file) => join(ROOT, 'node_modules', pkg, file);
const venvBin = (name) => join(ROOT, 'inference', '.venv', 'bin', name);

function findFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findFiles(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found.sort();
}

/** Test counts from the closing lines of node:test, pytest or vitest output (node:test's cancelled count as failed). */
export function countTests(output) {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
  let passed = 0;
  let failed = 0;
  let matched = false;
  // A test cancelled because its suite's `before` hook failed never ran: it counts as failed.
  for (const m of clean.matchAll(/^(?:ℹ|#) (pass|fail|cancelled) (\d+)$/gm)) {
    matched = true;
    if (m[1] === 'pass') passed += Number(m[2]);
    else failed += Number(m[2]);
  }
  if (!matched) {
    // pytest: "=== 3 passed in 1.2s ===", or with -q "1 failed, 154 passed in 88.38s (0:01:28)"
    const py = clean.match(/^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s/m);
    if (py) {
      matched = true;
      passed += Number(py[1].match(/(\d+) passed/)?.[1] ?? 0);
      failed +=
        Number(py[1].match(/(\d+) failed/)?.[1] ?? 0) + Number(py[1].match(/(\d+) errors?/)?.[1] ?? 0);
    }
  }
  if (!matched) {
    const vi = clean.match(/^\s*Tests\s+(.*)$/m);
    if (vi) {
      matched = true;
      passed += Number(vi[1].match(/(\d+) passed/)?.[1] ?? 0);
      failed += Number(vi[1].match(/(\d+) failed/)?.[1] ?? 0);
    }
  }
  return matched ? { passed, failed } : null;
}

const nodeTest = (files) => [
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec',
  '--test-timeout=600000',
  ...files.map((f) => relative(ROOT, f)),
];

const compileTests = (group) => ({
  group,
  name: 'api: compile tests (tsc, type check)',
  before: () => rmSync(join(ROOT, 'dist', 'api-test'), { recursive: true, force: true }),
  cmd: node,
  args: [tscBin(), '-p', 'api'],
});

const RELIABILITY = join(ROOT, 'dist', 'api-test', 'test', 'reliability', 'run.js');

function steps() {
  return [
    {
      group: 'lint',
      name: 'eslint (zero warnings)',
      cmd: node,
      args: [bin('eslint', 'bin/eslint.js'), '.', '--max-warnings', '0'],
    },
    {
      group: 'lint',
      name: 'prettier --check',
      cmd: node,
      args: [bin('prettier', 'bin/prettier.cjs'), '--check', '.'],
    },
    { group: 'lint', name: 'ruff check', cmd: venvBin('ruff'), args: ['check', 'inference'] },
    {
      group: 'lint',
      name: 'ruff format --check',
      cmd: venvBin('ruff'),
      args: ['format', '--check', 'inference'],
    },
    {
      group: 'lint',
      name: 'mypy --strict',
      cmd: venvBin('mypy'),
      args: ['--strict'],
      cwd: join(ROOT, 'inference'),
    },
    {
      group: 'python',
      name: 'pytest (sidecar)',
      cmd: VENV_PYTHON,
      args: ['-m', 'pytest', '-q', 'inference/tests'],
      counts: true,
    },
    compileTests('api'),
    {
      group: 'api',
      name: 'api: unit specs',
      cmd: node,
      args: () => nodeTest(findFiles(join(ROOT, 'dist', 'api-test', 'src'), '.spec.js')),
      counts: true,
    },
    {
      group: 'api',
      name: 'api: medium and end-to-end (real Redis, real sidecar)',
      cmd: node,
      args: () => nodeTest(findFiles(join(ROOT, 'dist', 'api-test', 'test'), '.test.js')),
      counts: true,
    },
    compileTests('reliability'),
    {
      group: 'reliability',
      name: 'reliability suite, quick profile (docs/reliability.md)',
      cmd: node,
      args: [RELIABILITY],
      counts: true,
    },
    compileTests('reliability-full'),
    {
      group: 'reliability-full',
      name: 'reliability suite, full profile (docs/reliability.md)',
      cmd: node,
      args: [RELIABILITY, '--full'],
      counts: true,
    },
    {
      group: 'web',
      name: 'web: component and state tests (vitest)',
      cmd: node,
      args: [ngBin(), 'test', '--watch=false'],
      counts: true,
    },
    {
      group: 'e2e',
      name: 'web: browser end-to-end (Chromium)',
      cmd: node,
      args: () => nodeTest(findFiles(join(ROOT, 'web', 'e2e'), '.test.mjs')),
      counts: true,
    },
    {
      // Every benchmark row in its reduced form, so none rots: it prints figures and asserts no
      // timing; it fails only when a row cannot run (docs/performance.md).
      group: 'bench',
      name: 'benchmarks: npm run bench -- --quick (figures only)',
      cmd: node,
      args: (selected) => [
        join(ROOT, 'scripts', 'bench.mjs'),
        '--quick',
        // The api group compiled dist/api-test just before.
        ...(selected.some((s) => s.group === 'api') ? ['--no-build'] : []),
      ],
    },
  ];
}

async function main() {
  const started = Date.now();
  const wanted = new Set(process.argv.slice(2));
  const selected = [];
  for (const step of steps()) {
    const chosen = wanted.size === 0 ? step.group !== 'reliability-full' : wanted.has(step.group);
    // One compile serves every group that needs it.
    if (chosen && !selected.some((s) => s.name === step.name)) selected.push(step);
  }
  checkNode();
  await ensureNodeModules();
  await ensurePython();
  await ensureApiBuild();
  await ensureWebBuild();
  if (selected.some((s) => s.group === 'e2e' || s.group === 'bench')) await ensureChromium();
  if (selected.some((s) => s.group === 'api')) await ensureNginx();
  if (selected.some((s) => s.group === 'api')) await ensureDockerCompose();
  if (selected.some((s) => s.group === 'api')) await ensureMoto();
  // Both reliability profiles run schemathesis (the quick one a short pass over every route).
  if (selected.some((s) => s.group === 'reliability' || s.group === 'reliability-full'))
    await ensureSchemathesis();
  const redis = await ensureRedis('redis://127.0.0.1:6379', { persist: false });

  const env = { ...process.env, NG_CLI_ANALYTICS: 'false', FORCE_COLOR: '0', NO_COLOR: '1' };
  const results = [];
  let passed = 0;
  let failed = 0;
  for (const step of selected) {
    const args = typeof step.args === 'function' ? step.args(selected) : step.args;
    console.log(`\n[kiln3d] ▶ ${step.name}`);
    step.before?.();
    const t0 = Date.now();
    const { code, output } = await runCapture(step.cmd, args, { cwd: step.cwd ?? ROOT, env });
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const counts = step.counts ? countTests(output) : null;
    if (step.counts && code === 0 && (!counts || counts.passed === 0)) {
      results.push({ step, ok: false, seconds, note: 'ran no test' });
      continue;
    }
    if (counts) {
      passed += counts.passed;
      failed += counts.failed;
    }
    results.push({
      step,
      ok: code === 0,
      seconds,
      note: counts ? `${counts.passed} passed, ${counts.failed} failed` : '',
    });
  }
  redis?.kill('SIGTERM');

  console.log('\n[kiln3d] summary');
  for (const r of results) {
    console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.step.name} (${r.seconds} s)${r.note ? ` — ${r.note}` : ''}`);
  }
  const bad = results.filter((r) => !r.ok);
  console.log(
    `  total ${((Date.now() - started) / 1000).toFixed(0)} s; ${bad.length} of ${results.length} steps failed`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = bad.length === 0 && failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(`[kiln3d] ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
