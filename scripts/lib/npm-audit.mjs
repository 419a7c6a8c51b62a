// The security suite's dependency check (docs/security.md): `npm audit --omit=dev` must report no
// high or critical advisory for what the service runs. Exit 1 when it does; when the registry
// does not answer audits (a mirror without the bulk advisory endpoint answers 405), say so plainly
// and exit 0: there is nothing to judge, and the line says the check was not made.
import { spawnSync } from 'node:child_process';
import { ROOT } from './ensure.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = spawnSync(npm, ['audit', '--omit=dev', '--json'], {
  cwd: ROOT,
  encoding: 'utf8',
  timeout: 120_000,
});
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = undefined;
}
const counts = report?.metadata?.vulnerabilities;
if (counts === undefined) {
  // npm prints {"message": "...", "error": {...}} or nothing when the endpoint fails.
  const why =
    report?.message || report?.error?.summary || run.stderr.trim().split('\n').pop() || `exit ${run.status}`;
  console.log(`npm audit --omit=dev: NOT CHECKED, the registry answered no audit (${why})`);
  process.exit(0);
}
const line = ['critical', 'high', 'moderate', 'low', 'info']
  .map((level) => `${counts[level] ?? 0} ${level}`)
  .join(', ');
console.log(
  `npm audit --omit=dev: ${line} (${report.metadata.dependencies?.prod ?? '?'} production dependencies)`,
);
for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
  if (v.severity === 'high' || v.severity === 'critical')
    console.log(`  ${v.severity}: ${name} (${v.range})`);
}
process.exit((counts.high ?? 0) + (counts.critical ?? 0) > 0 ? 1 : 0);
