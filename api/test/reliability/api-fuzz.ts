import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/env';
import { type CategoryRun, Recorder, freshRedis, startSuiteApi } from './harness';

/** scripts/lib/ensure.mjs ensureSchemathesis() makes this venv (`npm run test:reliability`). */
const ST_BIN = process.env.KILN_SCHEMATHESIS ?? join(REPO_ROOT, '.run', 'schemathesis', 'bin', 'st');

/**
 * The checks run: no 5xx, and every status, content type, header and body as documented. Left
 * out on purpose: positive_data_acceptance (the schema cannot say "a picture of 64 px or more
 * with something in it", so schema-valid uploads get 400/422 as the contract says),
 * missing_required_header (the admin route answers 404 while ADMIN_TOKEN is unset, by design)
 * and unsupported_method (unknown methods get the contract's 404, not 405).
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];

/** Runs cmd in cwd (schemathesis keeps a `.schemathesis/` cache in its working folder). */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Examples an operation: the full profile's search, and the quick profile's short pass (inside
 * `npm test`, a couple per operation, so an answer that drifts from the document cannot land).
 */
export const EXAMPLES_PER_OPERATION = { full: 100, quick: 2 } as const;

/**
 * API fuzzing (issue 11): schemathesis against /api/docs-json of a real api (inflate engine):
 * every operation, examples, coverage, fuzzing and stateful phases. Each generated test case is
 * one case of the table; a 5xx is a crash. Both profiles run it (`npm test` installs schemathesis
 * into .run/schemathesis first, scripts/lib/ensure.mjs ensureSchemathesis); without it the
 * category fails, naming the install.
 */
export const runApiFuzz: CategoryRun = async (ctx) => {
  const recorder = new Recorder('API fuzzing (schemathesis)', ctx);
  if (!existsSync(ST_BIN)) {
    throw new Error(
      `schemathesis not installed at ${ST_BIN} (node scripts/test.mjs reliability, or npm test, installs it)`,
    );
  }
  const redis = await freshRedis();
  const suite = await startSuiteApi('apifuzz');
  try {
    const examples = EXAMPLES_PER_OPERATION[ctx.profile];
    const { code, output } = await run(
      ST_BIN,
      [
        'run',
        `${suite.api.url}/api/docs-json`,
        '--url',
        suite.api.url,
        '--checks',
        CHECKS.join(','),
        '--max-examples',
        String(examples),
        '--no-color',
      ],
      suite.dir.path,
      480_000,
    );
    const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
    const failures = Number(/found (\d+) unique failures?/.exec(output)?.[1] ?? 0);
    const serverErrors = Number(/Server error: (\d+)/.exec(output)?.[1] ?? 0);
    for (let i = 0; i < generated - failures; i++) {
      recorder.report.cases.push({
        name: `schemathesis case ${i + 1}`,
        documented: true,
        crashed: false,
        detail: '',
      });
    }
    const failureBlock =
      /={5,} FAILURES ={5,}([\s\S]*?)={5,} (?:WARNINGS|SUMMARY)/.exec(output)?.[1] ?? output.slice(-3000);
    for (let i = 0; i < failures; i++) {
      recorder.report.cases.push({
        name: `schemathesis failure ${i + 1}`,
        documented: false,
        crashed: i < serverErrors,
        detail: i === 0 ? failureBlock.trim().slice(0, 3000) : 'see the first failure',
      });
    }
    if (generated === 0 || (code !== 0 && failures === 0)) {
      recorder.report.cases.push({
        name: 'schemathesis run',
        documented: false,
        crashed: false,
        detail: `exit ${code}: ${output.slice(-2000)}`,
      });
    }
    recorder.report.notes.push(/Seed: \d+/.exec(output)?.[0] ?? 'no seed printed');
    await suite.api.stop();
    recorder.checkFiles(suite);
  } finally {
    redis.disconnect();
    await suite.stop();
  }
  return recorder.report;
};
