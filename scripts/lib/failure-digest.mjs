/**
 * The few lines that say which tests of a failed job failed and why, for the end of `npm test`'s
 * output. A job's whole output is printed when it ends, but CI keeps only the tail of a run, and a
 * failure in the first minutes ends up far above the summary.
 */

const MAX_LINES_PER_JOB = 24;
const MAX_MESSAGE_LINES = 4;

/**
 * Which tests failed in one job's output, and the first lines of each failure's message.
 *
 * Reads the closing reports of the three runners the suite uses:
 * - node:test's spec reporter: the `✖ failing tests:` section (each failure's `test at` line, its
 *   `✖ name` line and its message up to the stack trace);
 * - pytest: the short test summary's `FAILED`/`ERROR` lines (pytest's default `-r fE`);
 * - vitest: its `FAIL` lines, each with its message's first line.
 * An output with none of them (a crash, a timeout, a build error) gives its last lines.
 *
 * @param {string} output the job's stdout and stderr together (ANSI colours allowed)
 * @returns {string[]} at most 24 lines, without colour codes; empty for an empty output
 */
export function failureDigest(output) {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const found = [...nodeFailures(lines), ...pytestFailures(lines), ...vitestFailures(lines)];
  const digest = found.length > 0 ? found : lines.filter((l) => l.trim() !== '').slice(-6);
  return digest.length > MAX_LINES_PER_JOB
    ? [...digest.slice(0, MAX_LINES_PER_JOB - 1), `… (${digest.length - MAX_LINES_PER_JOB + 1} more lines)`]
    : digest;
}

/** node:test spec reporter: the blocks after `✖ failing tests:`. */
function nodeFailures(lines) {
  const start = lines.findIndex((l) => l.startsWith('✖ failing tests:'));
  if (start < 0) return [];
  const out = [];
  let messageLines = -1; // -1: not inside a failure's message
  for (const line of lines.slice(start + 1)) {
    if (/^test at /.test(line)) {
      out.push(line.trim());
      messageLines = -1;
    } else if (/^\s*✖ /.test(line)) {
      out.push(line.trim());
      messageLines = 0;
    } else if (messageLines >= 0) {
      if (/^\s+at /.test(line) || /^\s+\{$/.test(line) || messageLines >= MAX_MESSAGE_LINES) {
        messageLines = -1;
      } else if (line.trim() !== '') {
        out.push(`  ${line.trim()}`);
        messageLines++;
      }
    }
  }
  return out;
}

/** pytest's short test summary: `FAILED path::test - Error: message`. */
function pytestFailures(lines) {
  return lines.filter((l) => /^(FAILED|ERROR) \S+/.test(l)).map((l) => l.trim());
}

/** vitest's closing report: each ` FAIL  file > suite > test` line and its message's first line. */
function vitestFailures(lines) {
  const out = [];
  lines.forEach((line, i) => {
    if (!/^\s*FAIL\s+\S/.test(line) || out.includes(line.trim())) return;
    out.push(line.trim());
    const message = lines.slice(i + 1).find((l) => l.trim() !== '');
    if (message && !/^\s*FAIL\s/.test(message)) out.push(`  ${message.trim()}`);
  });
  return out;
}
