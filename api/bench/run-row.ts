/**
 * Runs one benchmark row in this process and writes its lines as JSON (scripts/bench.mjs calls
 * it once per row file, so a row's sockets, children and memory never touch the next one).
 *
 *   node dist/api-test/bench/run-row.js <row.js> <out.json> [--quick]
 *
 * Exit 0 with the lines written; 1 with the error printed (the table shows the row as failed).
 */
import { writeFileSync } from 'node:fs';
import { tempDir } from '../test/support/env';
import type { BenchContext, BenchRow } from './support/bench-row';

/** Marks the line that says why a row failed (scripts/bench.mjs whyFailed reads it). */
const ROW_FAILED = '[bench] row failed:';

/** The benchmark's own Redis database (cleared of kiln keys by the rows that use it). */
export const BENCH_REDIS_URL = process.env.KILN_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';

async function main(): Promise<void> {
  const [file, out, ...flags] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: run-row.js <row.js> <out.json> [--quick]');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a row file chosen at run time
  const { row } = require(file) as { row: BenchRow };
  const dir = tempDir(`bench-${row.name.replace(/\W+/g, '-')}`);
  const context: BenchContext = {
    quick: flags.includes('--quick'),
    redisUrl: BENCH_REDIS_URL,
    workDir: dir.path,
    log: (message) => process.stderr.write(`[bench ${row.name}] ${message}\n`),
  };
  try {
    const lines = await row.run(context);
    writeFileSync(out, JSON.stringify({ name: row.name, order: row.order, lines }, null, 2));
  } finally {
    dir.remove();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    // One line scripts/bench.mjs finds again (its whyFailed): the error's message, its first line.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${ROW_FAILED} ${message.split('\n')[0]}`);
    process.exit(1);
  },
);
