import type { BenchContext, BenchLine, BenchRow } from '../support/bench-row';

/**
 * Issue 10's figures in the table: jobs per minute with 1, 2 and 4 workers on one Redis (quick: 1
 * and 2) as the ratio to N × the single-worker rate of the same run (goal ≥ 0.95 at 4 workers),
 * and the extra time a model takes to become downloadable through object storage (moto_server)
 * versus the local folder. The measurement itself is api/bench/scale-out.bench.ts.
 */
export const row: BenchRow = {
  name: 'scale-out',
  order: 70,
  async run(context: BenchContext): Promise<BenchLine[]> {
    // scale-out.bench starts its processes on the tests' database variable: point it at ours
    // before its modules (and test/support/env's constant) load.
    process.env.KILN_TEST_REDIS_URL = context.redisUrl;
    const { scaleOutRows, storageRows } = await import('../scale-out.bench.js');
    const counts = context.quick ? [1, 2] : [1, 2, 4];
    context.log(`scale-out: ${counts.join(', ')} worker(s)`);
    const scale = await scaleOutRows(counts, context.quick ? 2 : 4, context.quick ? 1 : 4);
    context.log('scale-out: object storage versus the local folder');
    const storage = await storageRows(context.quick ? 1 : 5, 1);
    const single = scale.find((r) => r.workers === 1)?.jobsPerMinute ?? Number.NaN;
    const top = Math.max(...counts);
    return [
      ...scale.map((r): BenchLine => ({
        row: 'scale-out',
        figure: `jobs per minute, ${r.workers} worker(s)`,
        value: r.jobsPerMinute,
        unit: 'jobs/min',
        baseline: { label: `${r.workers} × the 1-worker rate`, value: r.workers * single },
        ratio: r.ratio,
        ...(r.workers === top && top === 4 ? { goal: '≥ 0.95×', met: r.ratio >= 0.95 } : {}),
        note: `${r.jobs} jobs, simulate engine; every worker and sidecar shares this machine's cores`,
      })),
      ...storage.map((r): BenchLine => ({
        row: 'model storage',
        figure: `upload → model downloadable, ${r.store}`,
        value: r.medianS,
        unit: 's',
        baseline: { label: 'local folder', value: r.medianS - r.extraS },
        ratio: r.medianS / (r.medianS - r.extraS),
        note: `median of ${r.runs}`,
      })),
    ];
  },
};
