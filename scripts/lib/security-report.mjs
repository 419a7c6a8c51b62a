// The security suite's counts (docs/security.md): each test named `attack: …` in api/test/security
// is one attack tried against the real api; a passing test is an attack refused, a failing one an
// attack that succeeded. Read from node:test's spec reporter output, one file (category) a job.

/**
 * The attacks of one job's output. Spec reporter lines look like `✔ attack: … (12.3ms)`,
 * `✖ attack: … (40ms)` or `﹣ attack: … (0.1ms) # reason`, indented under their describe.
 * @param {string} output node --test --test-reporter=spec output (ANSI colours allowed)
 * @returns {{ refused: string[], succeeded: string[], skipped: string[] }} attack names by outcome
 */
export function attacksOf(output) {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
  const outcome = { refused: [], succeeded: [], skipped: [] };
  // The spec reporter repeats failing tests under "failing tests:" at the end: count each once.
  const body = clean.split(/^✖ failing tests:$/m)[0];
  for (const m of body.matchAll(/^\s*(✔|✖|﹣)\s+(attack: .*?)(?: \([\d.]+m?s\))?(?: # .*)?$/gm)) {
    const name = m[2].trim();
    if (m[1] === '﹣') outcome.skipped.push(name);
    else if (m[1] === '✔') outcome.refused.push(name);
    else outcome.succeeded.push(name);
  }
  return outcome;
}

/**
 * The per-category table (Markdown) of a run, and its totals.
 * @param {{ category: string, output: string }[]} runs one entry per test file of the suite
 * @returns {{ table: string, tried: number, refused: number, succeeded: number, skipped: number }}
 */
export function securityTable(runs) {
  const rows = ['| category | attacks tried | refused | succeeded | skipped |', '|---|---:|---:|---:|---:|'];
  const total = { tried: 0, refused: 0, succeeded: 0, skipped: 0 };
  const succeeded = [];
  for (const { category, output } of runs) {
    const a = attacksOf(output);
    const tried = a.refused.length + a.succeeded.length;
    total.tried += tried;
    total.refused += a.refused.length;
    total.succeeded += a.succeeded.length;
    total.skipped += a.skipped.length;
    succeeded.push(...a.succeeded.map((name) => `${category}: ${name}`));
    rows.push(
      `| ${category} | ${tried} | ${a.refused.length} | ${a.succeeded.length} | ${a.skipped.length} |`,
    );
  }
  rows.push(`| **all** | ${total.tried} | ${total.refused} | ${total.succeeded} | ${total.skipped} |`);
  const lines = [...rows];
  if (succeeded.length > 0) lines.push('', 'Attacks that succeeded:', ...succeeded.map((s) => `- ${s}`));
  return { table: lines.join('\n'), ...total };
}
