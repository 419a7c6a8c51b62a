// `npm test`: every check and test suite of the project, on real Redis, a real sidecar and a
// real headless Chromium. Usage: node scripts/test.mjs [group ...]; groups: lint python api web e2e
// reliability (the reliability suite's quick profile) bench (the benchmarks' quick form);
// reliability-full (`npm run test:reliability`: the whole suite, schemathesis included; not part
// of a plain `npm test`); security (the security suite's quick profile: api/test/security and
// npm audit, counted per category: docs/security.md); security-full (`npm run test:security`: the
// same attacks at full volume; not part of a plain `npm test`).
//
// The steps run side by side (scripts/lib/scheduler.mjs): each test file of the api's medium and
// end-to-end suites and of the browser suite is a job of its own, pytest runs in a few chunks of
// files, and at most KILN_TEST_LANES jobs (default 4; KILN_TEST_BROWSERS of them, default 2, with
// Chromium) run at once, the longest expected first.
// Every job that touches Redis gets a database of its own (scripts/lib/test-redis.mjs: a private
// redis-server by default, or KILN_TEST_REDIS_DBS of KILN_TEST_REDIS_SERVER). The api and the web
// app are each compiled once: `tsc -p api` (dist/api-test: the api, its tests and benchmarks) and
// `ng build` (dist/web, served by the browser suite's api). Each job's output is printed in one
// piece when it ends; then one line per step, and a closing "N passed, N failed" line over all
// test runners.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import {
  ROOT,
  VENV_PYTHON,
  checkNode,
  ensureBlender,
  ensureChromium,
  ensureDockerCompose,
  ensureMoto,
  ensureNginx,
  ensureNodeModules,
  ensurePython,
  ensureSchemathesis,
  markWebBuilt,
  ngBin,
  tscBin,
  webBuildIsCurrent,
} from './lib/ensure.mjs';
import { failureDigest } from './lib/failure-digest.mjs';
import { cpuMeter, measuredCommand } from './lib/job-cpu.mjs';
import { killRunningJobs, runJobProcess, runJobs } from './lib/scheduler.mjs';
import { securityTable } from './lib/security-report.mjs';
import { testRedis } from './lib/test-redis.mjs';

const node = process.execPath;
const bin = (pkg, file) => join(ROOT, 'node_modules', pkg, file);
const venvBin = (name) => join(ROOT, 'inference', '.venv', 'bin', name);
const log = (msg) => console.log(`[kiln3d] ${msg}`);

/**
 * How many jobs run at once. Most jobs spend most of their time waiting (on simulated jobs, on
 * started processes, on timers): four keep 2 cores busy (the whole suite used about 1,100 CPU-s
 * in 950 s of wall time with four, in about 1,450-1,800 s with three).
 */
const LANES = Math.max(1, Number(process.env.KILN_TEST_LANES ?? 4) || 4);
/**
 * How many jobs that drive headless Chromium run at once. The browser files are the longest
 * queue (about 700 s one after another on an idle machine, each busy about a quarter of its
 * time: SwiftShader draws on the CPU while the pages wait on simulated jobs); two at a time
 * halve it. More than two starve the pages' own timeouts on 2 cores.
 */
const BROWSERS = Math.max(1, Number(process.env.KILN_TEST_BROWSERS ?? 2) || 2);
/** A job still running after this long is ended with everything it started, and fails. */
const JOB_TIMEOUT_MS = Number(process.env.KILN_TEST_JOB_TIMEOUT_S ?? 1200) * 1000;
/** Seconds each job took in the last runs here (the order of the next run), and the seed for a clone. */
const TIMES_FILE = join(ROOT, '.run', 'test-times.json');
const SEED_TIMES_FILE = join(ROOT, 'scripts', 'lib', 'test-times.json');
/**
 * KILN_TEST_CPU=1: also measure each job's CPU seconds (user + system), its browsers and servers
 * included where a cgroup can be made (scripts/lib/job-cpu.mjs), else with /usr/bin/time.
 */
const CPU_METER = process.env.KILN_TEST_CPU ? cpuMeter() : null;

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

/** Test counts from the closing lines of node:test, pytest or vitest output. */
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

function readTimes() {
  const times = {};
  for (const file of [SEED_TIMES_FILE, TIMES_FILE]) {
    try {
      Object.assign(times, JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // None yet.
    }
  }
  return times;
}

/** pytest's JUnit report -> seconds per test file (tests/test_x.py), setup and teardown included. */
function pytestFileTimes(xmlPath) {
  const times = {};
  if (!existsSync(xmlPath)) return times;
  const xml = readFileSync(xmlPath, 'utf8');
  for (const m of xml.matchAll(/<testcase [^>]*classname="([^"]+)"[^>]*time="([\d.]+)"/g)) {
    const file = `${m[1].split('.').slice(0, 2).join('/')}.py`;
    times[file] = (times[file] ?? 0) + Number(m[2]);
  }
  return times;
}

/** Files packed into at most `count` chunks of about equal expected time (longest first). */
function chunks(files, estimate, count) {
  const bins = Array.from({ length: count }, () => ({ files: [], total: 0 }));
  for (const file of [...files].sort((a, b) => estimate(b) - estimate(a))) {
    const bin = bins.reduce((least, b) => (b.total < least.total ? b : least));
    bin.files.push(file);
    bin.total += estimate(file);
  }
  return bins.filter((b) => b.files.length > 0);
}

const RELIABILITY = join(ROOT, 'dist', 'api-test', 'test', 'reliability', 'run.js');

/** The reliability suite's categories, as its runner names them (api/test/reliability/run.ts). */
function reliabilityCategories() {
  const source = readFileSync(join(ROOT, 'api', 'test', 'reliability', 'run.ts'), 'utf8');
  const table = source.match(/const CATEGORIES[^=]*=\s*\{([^}]*)\}/)?.[1] ?? '';
  const names = [...table.matchAll(/^\s*([\w-]+):\s*\w+,?\s*$/gm)].map((m) => m[1]);
  if (names.length === 0) throw new Error('no category found in api/test/reliability/run.ts (CATEGORIES)');
  return names;
}
const API_TEST_DIR = join(ROOT, 'dist', 'api-test');
const SECURITY_DIR = join(API_TEST_DIR, 'test', 'security');
/** dist/api-test/<dir>/x.<suffix>.js for each api/<dir>/x.<suffix>.ts (known before tsc has run). */
const compiled = (dir, suffix) =>
  findFiles(join(ROOT, 'api', dir), `.${suffix}.ts`).map((f) =>
    join(API_TEST_DIR, relative(join(ROOT, 'api'), f)).replace(/\.ts$/, '.js'),
  );

/**
 * The steps. A step runs as one job, or (files) as one job per file, each `node --test` of that
 * file; `needs` names steps that must pass first; `redis` gives each job a database.
 */
function steps(times) {
  const pytestEstimate = (f) => times[`pytest:${relative(join(ROOT, 'inference'), f)}`] ?? 10;
  const pytestFiles = findFiles(join(ROOT, 'inference', 'tests'), '.py').filter((f) =>
    basename(f).startsWith('test_'),
  );
  return [
    {
      id: 'compile',
      group: ['api', 'reliability', 'reliability-full', 'e2e', 'bench'],
      name: 'api: compile (tsc -p api: src, tests and benchmarks, type check; the server bundled)',
      before: () => rmSync(API_TEST_DIR, { recursive: true, force: true }),
      cmd: node,
      args: [join(ROOT, 'scripts', 'lib', 'api-build.mjs'), '--test'],
      priority: true,
    },
    {
      id: 'web-build',
      group: ['e2e', 'bench'],
      name: 'web: build (ng build, dist/web, precompressed)',
      skipIf: webBuildIsCurrent,
      priority: true,
      after: markWebBuilt,
      cmd: node,
      args: [join(ROOT, 'scripts', 'lib', 'web-build.mjs')],
    },
    {
      id: 'eslint',
      group: ['lint'],
      name: 'eslint (zero warnings)',
      cmd: node,
      args: [bin('eslint', 'bin/eslint.js'), '.', '--max-warnings', '0'],
    },
    {
      id: 'cli-types',
      group: ['lint'],
      name: 'tsc: the command-line client against the API types (cli/, JSDoc)',
      cmd: node,
      args: [tscBin(), '-p', 'cli'],
    },
    {
      id: 'prettier',
      group: ['lint'],
      name: 'prettier --check',
      cmd: node,
      args: [bin('prettier', 'bin/prettier.cjs'), '--check', '.'],
    },
    { id: 'ruff', group: ['lint'], name: 'ruff check', cmd: venvBin('ruff'), args: ['check', 'inference'] },
    {
      id: 'ruff-format',
      group: ['lint'],
      name: 'ruff format --check',
      cmd: venvBin('ruff'),
      args: ['format', '--check', 'inference'],
    },
    {
      id: 'mypy',
      group: ['lint'],
      name: 'mypy --strict',
      cmd: venvBin('mypy'),
      args: ['--strict'],
      cwd: join(ROOT, 'inference'),
    },
    {
      id: 'pytest',
      group: ['python'],
      name: 'pytest (sidecar)',
      counts: true,
      // tests/test_formats_blender.py fails instead of skipping without Blender (installed above).
      env: { KILN_REQUIRE_BLENDER: '1' },
      // Chunks of files, each one pytest process: a module's fixtures stay in one process.
      jobs: () =>
        chunks(pytestFiles, pytestEstimate, Number(process.env.KILN_PYTEST_CHUNKS ?? 3) || 3).map(
          (chunk, i) => ({
            key: `pytest#${i + 1}`,
            label: `pytest ${chunk.files.map((f) => basename(f, '.py').replace(/^test_/, '')).join(' ')}`,
            estimate: chunk.total,
            junit: true,
            cmd: VENV_PYTHON,
            args: ['-m', 'pytest', '-q', ...chunk.files.map((f) => relative(ROOT, f))],
          }),
        ),
    },
    {
      id: 'unit',
      group: ['api'],
      name: 'api: unit specs',
      needs: ['compile'],
      counts: true,
      cmd: node,
      args: () => nodeTest(compiled('src', 'spec')),
    },
    {
      id: 'api-tests',
      group: ['api'],
      name: 'api: medium and end-to-end (real Redis, real sidecar)',
      needs: ['compile'],
      counts: true,
      redis: true,
      files: () => compiled('test', 'test').filter((f) => !f.startsWith(SECURITY_DIR)),
    },
    ...['security', 'security-full'].map((id) => ({
      id,
      group: [id],
      name:
        id === 'security'
          ? 'security suite, quick profile (docs/security.md)'
          : 'security suite, full profile (docs/security.md)',
      needs: ['compile'],
      counts: true,
      redis: true,
      attacks: true,
      env: { KILN_SECURITY_PROFILE: id === 'security' ? 'quick' : 'full' },
      // One job per file (a category of attacks), each with its own api(s) and database.
      jobs: () =>
        compiled(join('test', 'security'), 'test').map((file) => {
          const category = basename(file, '.test.js');
          return {
            key: `${id}:${category}`,
            label: `security ${id === 'security' ? 'quick' : 'full'}: ${category}`,
            category,
            kind: /playwright/.test(
              readFileSync(file.replace(API_TEST_DIR, join(ROOT, 'api')).replace(/\.js$/, '.ts'), 'utf8'),
            )
              ? 'browser'
              : undefined,
            cmd: node,
            args: nodeTest([file]),
          };
        }),
    })),
    {
      id: 'audit',
      group: ['security', 'security-full'],
      name: 'npm audit --omit=dev (no high or critical advisory; docs/security.md)',
      cmd: node,
      args: [join(ROOT, 'scripts', 'lib', 'npm-audit.mjs')],
    },
    {
      id: 'reliability',
      group: ['reliability'],
      name: 'reliability suite, quick profile (docs/reliability.md)',
      needs: ['compile'],
      counts: true,
      redis: true,
      // One job per category (run.js takes their names), each with its own api and database.
      jobs: () =>
        reliabilityCategories().map((category) => ({
          key: `reliability:${category}`,
          label: `reliability quick: ${category}`,
          cmd: node,
          args: [RELIABILITY, category],
        })),
    },
    {
      id: 'reliability-full',
      group: ['reliability-full'],
      name: 'reliability suite, full profile (docs/reliability.md)',
      needs: ['compile'],
      counts: true,
      redis: true,
      jobs: () =>
        reliabilityCategories().map((category) => ({
          key: `reliability-full:${category}`,
          label: `reliability full: ${category}`,
          cmd: node,
          args: [RELIABILITY, '--full', category],
        })),
    },
    {
      id: 'vitest',
      group: ['web'],
      name: 'web: component and state tests (vitest)',
      // Not beside `ng build`: both are the Angular builder, on the same cache.
      afterSteps: ['web-build'],
      counts: true,
      cmd: node,
      args: [ngBin(), 'test', '--watch=false'],
    },
    {
      id: 'e2e',
      group: ['e2e'],
      name: 'web: browser end-to-end (Chromium)',
      needs: ['compile', 'web-build'],
      counts: true,
      redis: true,
      kind: 'browser',
      files: () => findFiles(join(ROOT, 'web', 'e2e'), '.test.mjs'),
    },
    {
      // Every benchmark row in its reduced form, so none rots: it prints figures and asserts no
      // timing; it fails only when a row cannot run (docs/performance.md). Beside other jobs here,
      // so its figures say nothing: `npm run bench` alone is the measurement.
      id: 'bench',
      group: ['bench'],
      name: 'benchmarks: npm run bench -- --quick (figures only)',
      needs: ['compile', 'web-build'],
      redis: true,
      // One job per row (bench.mjs --only), each its own process, as bench.mjs runs them.
      jobs: () =>
        findFiles(join(ROOT, 'api', 'bench', 'rows'), '.row.ts').map((file) => {
          const row = basename(file, '.ts');
          return {
            // The rows that open a page in Chromium count as browser jobs.
            kind: /playwright|chromium/i.test(readFileSync(file, 'utf8')) ? 'browser' : undefined,
            key: `bench:${row}`,
            label: `bench quick: ${row.replace(/\.row$/, '')}`,
            cmd: node,
            args: [join(ROOT, 'scripts', 'bench.mjs'), '--quick', '--no-build', '--only', `${row}.js`],
          };
        }),
    },
  ];
}

/**
 * What the selected steps need installed, side by side: in a lone clone these are minutes of
 * downloads and unpacking (npm ci, three Python environments, Debian packages) that do not depend
 * on one another. The apt installs stay one after another (dpkg takes a lock). Waits for every
 * install to end before it reports the first failure, so none is left running.
 */
async function installAll(has) {
  const apt = async () => {
    if (has('e2e', 'bench', 'security', 'security-full')) await ensureChromium();
    if (has('api-tests')) await ensureNginx();
    if (has('api-tests')) await ensureDockerCompose();
    if (has('pytest')) await ensureBlender();
  };
  const results = await Promise.allSettled([
    ensureNodeModules(),
    ensurePython(),
    apt(),
    has('api-tests', 'bench') ? ensureMoto() : null,
    // Both reliability profiles run schemathesis (the quick one a short pass over every route).
    has('reliability', 'reliability-full') ? ensureSchemathesis() : null,
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Ends the run's private redis-server (set once it runs). */
let stopRedis = () => Promise.resolve();

async function main() {
  const started = Date.now();
  const wanted = new Set(process.argv.slice(2));
  const times = readTimes();
  const all = steps(times);
  const chosen = (step) =>
    wanted.size === 0
      ? !step.group.every((g) => g === 'reliability-full' || g === 'security-full')
      : step.group.some((g) => wanted.has(g));
  // A step's needs come along (the compile for the browser suite alone, say).
  const selected = all.filter(chosen);
  for (let i = 0; i < selected.length; i++) {
    for (const id of selected[i].needs ?? []) {
      if (!selected.some((s) => s.id === id)) selected.push(all.find((s) => s.id === id));
    }
  }
  selected.sort((a, b) => all.indexOf(a) - all.indexOf(b));
  const has = (...ids) => selected.some((s) => ids.includes(s.id));

  checkNode();
  await installAll(has);
  const redis = selected.some((s) => s.redis) ? await testRedis() : null;
  stopRedis = () => redis?.stop();
  if (redis) log(`Redis for the suites: ${redis.description}`);
  log(
    `${LANES} jobs at a time (KILN_TEST_LANES), ${BROWSERS} of them with Chromium (KILN_TEST_BROWSERS), ` +
      `on ${cpus().length} cores; load ${loadavg()[0].toFixed(2)} at start` +
      (CPU_METER ? `; CPU per job by ${CPU_METER === 'cgroup' ? 'a cgroup each' : '/usr/bin/time'}` : ''),
  );

  const junitDir = mkdtempSync(join(tmpdir(), 'kiln3d-test-junit-'));
  const baseEnv = { ...process.env, NG_CLI_ANALYTICS: 'false', FORCE_COLOR: '0', NO_COLOR: '1' };
  /** Jobs of every selected step; each knows its step. */
  const jobs = [];
  for (const step of selected) {
    const needs = [...(step.needs ?? []), ...(step.afterSteps ?? []).filter((id) => has(id))];
    const list = step.jobs
      ? step.jobs()
      : step.files
        ? step.files().map((file) => ({
            key: `${step.id}:${relative(ROOT, file)}`,
            label: relative(ROOT, file).replace(/^dist\/api-test\//, 'api/'),
            cmd: node,
            args: nodeTest([file]),
          }))
        : [{ key: step.id, label: step.name, cmd: step.cmd, args: step.args }];
    step.jobIds = [];
    for (const spec of list) {
      const id = spec.key;
      step.jobIds.push(id);
      jobs.push({
        id,
        step,
        label: spec.label,
        category: spec.category,
        needs: needs.flatMap((n) => selected.find((s) => s.id === n)?.jobIds ?? []),
        // The builds go first: most of the run waits for them.
        estimate: step.priority ? Infinity : (spec.estimate ?? times[id] ?? 20),
        redis: Boolean(step.redis),
        kind: spec.kind ?? step.kind,
        run: async (db) => {
          if (step.skipIf?.()) return { ok: true, seconds: 0, output: 'up to date\n', note: 'up to date' };
          step.before?.();
          const env = { ...baseEnv, ...step.env };
          if (db !== null) {
            for (const name of ['KILN_TEST_REDIS_URL', 'KILN_E2E_REDIS_URL', 'KILN_BENCH_REDIS_URL']) {
              env[name] = redis.url(db);
            }
          }
          let args = typeof spec.args === 'function' ? spec.args() : spec.args;
          const junit = spec.junit ? join(junitDir, `${id.replace(/\W+/g, '_')}.xml`) : null;
          if (junit) args = [...args, `--junitxml=${junit}`];
          const measured = CPU_METER
            ? measuredCommand(CPU_METER, id.replace(/\W+/g, '_'), junitDir, spec.cmd, args)
            : null;
          const result = await runJobProcess(measured?.cmd ?? spec.cmd, measured?.args ?? args, {
            cwd: step.cwd ?? ROOT,
            env,
            timeoutMs: JOB_TIMEOUT_MS,
          });
          if (measured) result.cpu = measured.read();
          const counts = step.counts ? countTests(result.output) : null;
          // A test job must end with its runner's closing counts (a crash before them fails it).
          let ok = result.code === 0 && !result.timedOut && (!step.counts || (counts && counts.failed === 0));
          let note = counts ? `${counts.passed} passed, ${counts.failed} failed` : '';
          if (step.counts && !counts) note = 'no test counts in its output';
          if (result.timedOut) note = `ended after ${JOB_TIMEOUT_MS / 1000} s (KILN_TEST_JOB_TIMEOUT_S)`;
          if (ok) step.after?.();
          if (junit)
            for (const [file, s] of Object.entries(pytestFileTimes(junit))) times[`pytest:${file}`] = s;
          return { ...result, ok, counts, note, db };
        },
      });
    }
  }

  const stopAll = () => {
    killRunningJobs();
    void redis?.stop();
    process.exit(130);
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);

  const spans = new Map();
  const results = await runJobs(jobs, {
    lanes: LANES,
    redis,
    limits: { browser: BROWSERS },
    onStart(job, db) {
      const span = spans.get(job.step) ?? { start: Date.now(), end: 0 };
      spans.set(job.step, span);
      log(`▶ ${job.label}${db !== null ? ` (Redis db ${db})` : ''}`);
    },
    onEnd(job, result) {
      const span = spans.get(job.step) ?? { start: Date.now(), end: 0 };
      span.end = Date.now();
      spans.set(job.step, span);
      const state = result.skipped ? 'NOT RUN (a step it needs failed)' : result.ok ? 'ok' : 'FAIL';
      const note = result.note ? `, ${result.note}` : '';
      const cpu = result.cpu !== undefined ? `, ${result.cpu.toFixed(1)} s CPU` : '';
      console.log(`\n[kiln3d] ━━ ${job.label}: ${state} (${result.seconds.toFixed(1)} s${cpu}${note}) ━━`);
      if (result.output)
        process.stdout.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
      if (!result.skipped && job.id !== 'compile') times[job.id] = Math.round(result.seconds * 10) / 10;
    },
  });
  await redis?.stop();
  rmSync(junitDir, { recursive: true, force: true });
  mkdirSync(join(ROOT, '.run'), { recursive: true });
  writeFileSync(TIMES_FILE, `${JSON.stringify(times, null, 2)}\n`);

  let passed = 0;
  let failed = 0;
  let badSteps = 0;
  console.log('\n[kiln3d] summary (wall time of each step, from its first job start to its last job end)');
  for (const step of selected) {
    const stepResults = step.jobIds.map((id) => ({ id, ...results.get(id) }));
    const counts = stepResults.reduce(
      (sum, r) =>
        r.counts ? { passed: sum.passed + r.counts.passed, failed: sum.failed + r.counts.failed } : sum,
      { passed: 0, failed: 0 },
    );
    passed += counts.passed;
    failed += counts.failed;
    const bad = stepResults.filter((r) => !r.ok);
    // A test step that ran and counted no test at all fails (a runner that found no file).
    const ranNoTest = step.counts && bad.length === 0 && counts.passed + counts.failed === 0;
    if (bad.length > 0 || ranNoTest) badSteps++;
    const span = spans.get(step);
    const wall = span ? ((span.end - span.start) / 1000).toFixed(1) : '0.0';
    const notes = [];
    if (step.counts)
      notes.push(ranNoTest ? 'ran no test' : `${counts.passed} passed, ${counts.failed} failed`);
    if (stepResults.length > 1) notes.push(`${stepResults.length} jobs`);
    if (CPU_METER) notes.push(`${stepResults.reduce((sum, r) => sum + (r.cpu ?? 0), 0).toFixed(0)} s CPU`);
    if (stepResults.length === 1 && stepResults[0].note && !step.counts) notes.push(stepResults[0].note);
    for (const r of bad) {
      const job = jobs.find((j) => j.id === r.id);
      notes.push(
        `${r.skipped ? 'not run' : 'failed'}: ${job.label}${r.note && !r.skipped ? ` (${r.note})` : ''}`,
      );
    }
    console.log(
      `  ${bad.length === 0 && !ranNoTest ? 'ok  ' : 'FAIL'} ${step.name} (${wall} s)${notes.length ? ` — ${notes.join('; ')}` : ''}`,
    );
  }
  for (const step of selected.filter((s) => s.attacks)) {
    const runs = step.jobIds
      .map((id) => ({ job: jobs.find((j) => j.id === id), result: results.get(id) }))
      .filter(({ result }) => result && !result.skipped)
      .map(({ job, result }) => ({ category: job.category, output: result.output ?? '' }));
    const report = securityTable(runs);
    console.log(
      `\n[kiln3d] ${step.name}: attacks per category (a refused attack is a passing test)\n${report.table}`,
    );
    mkdirSync(join(ROOT, '.run'), { recursive: true });
    writeFileSync(join(ROOT, '.run', `${step.id}-report.md`), `${report.table}\n`);
  }
  const slowest = jobs
    .map((j) => ({ label: j.label, seconds: results.get(j.id)?.seconds ?? 0 }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 8);
  console.log(`  slowest jobs: ${slowest.map((j) => `${j.label} ${j.seconds.toFixed(0)} s`).join(', ')}`);
  // Repeated here, next to the last line: CI keeps only a run's tail.
  const failedJobs = jobs.filter((j) => {
    const r = results.get(j.id);
    return r && !r.ok && !r.skipped;
  });
  if (failedJobs.length > 0) {
    console.log("\n[kiln3d] what failed (each job's whole output is above, under its ━━ line)");
    for (const job of failedJobs) {
      const result = results.get(job.id);
      console.log(`  ${job.label}${result.note ? ` (${result.note})` : ''}:`);
      for (const line of failureDigest(result.output ?? '')) console.log(`    ${line}`);
    }
  }
  console.log(
    `  total ${((Date.now() - started) / 1000).toFixed(0)} s, ${LANES} lanes, load ${loadavg()[0].toFixed(2)} at the end; ` +
      `${badSteps} of ${selected.length} steps failed`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = badSteps === 0 && failed === 0 ? 0 : 1;
}

main().catch(async (err) => {
  console.error(`[kiln3d] ${err instanceof Error ? err.stack : String(err)}`);
  killRunningJobs();
  await stopRedis();
  process.exit(1);
});
