/**
 * The shape every benchmark row shares (scripts/bench.mjs runs each file of api/bench/rows in a
 * process of its own and prints one table). A row measures a figure and, in the same run, the
 * baseline it is judged against: on shared machines only the ratio means something.
 * Adding a row: one file `api/bench/rows/<name>.row.ts` exporting `row: BenchRow`.
 */
export interface BenchContext {
  /** `--quick`: the reduced form (all rows within about two minutes), as `npm test` runs it. */
  quick: boolean;
  /** The Redis database the row may use and clear (KILN_BENCH_REDIS_URL, default /13). */
  redisUrl: string;
  /** A scratch folder of the row's own, removed afterwards. */
  workDir: string;
  /** Progress for the person watching (stderr); never part of the table. */
  log(message: string): void;
}

/** One line of the table. Units are in `unit`; a ratio is figure ÷ baseline. */
export interface BenchLine {
  /** The row it belongs to, e.g. "upload admission". */
  row: string;
  /** What was measured, e.g. "p99 latency, 20 clients". */
  figure: string;
  value: number;
  unit: string;
  /** What it is judged against, measured in the same run (or a stated reference). */
  baseline?: { label: string; value: number };
  /** value ÷ baseline.value, when a baseline is given. */
  ratio?: number;
  /** The goal in words, e.g. "≤ 1.5×"; absent for an informative line. */
  goal?: string;
  /** Whether the goal is met; absent when there is no goal. */
  met?: boolean;
  /** How it was measured, where the figure alone would mislead. */
  note?: string;
}

/** A benchmark row: a name and a run that returns its lines (and throws only on an error). */
export interface BenchRow {
  name: string;
  /** Place in the table (lower first). */
  order: number;
  run(context: BenchContext): Promise<BenchLine[]>;
}

/** The q-th percentile (0-100) of values, nearest rank; NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length)));
  return sorted[rank - 1];
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** A line judged as value ÷ baseline against `maxRatio`. */
export function ratioLine(
  line: Omit<BenchLine, 'ratio' | 'goal' | 'met' | 'baseline'>,
  baseline: { label: string; value: number },
  maxRatio: number | undefined,
): BenchLine {
  const ratio = line.value / baseline.value;
  return {
    ...line,
    baseline,
    ratio,
    ...(maxRatio === undefined ? {} : { goal: `≤ ${maxRatio}×`, met: ratio <= maxRatio }),
  };
}
