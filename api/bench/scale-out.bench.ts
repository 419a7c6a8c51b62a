/**
 * Scale-out, measured (issue 10): jobs per minute with 1, 2 and 4 workers on one Redis, each a
 * real process with its own simulate sidecar (one api+worker, the others KILN_ROLE=worker), as the
 * ratio to N × the single-worker rate of the same run (the goal is ≥ 0.95 at 4); and the extra time
 * a model takes to become downloadable through object storage (a real moto_server, reached as R2
 * would be) versus the local folder: upload → completed event → the GLB's last byte.
 *
 *   npx tsc -p api && KILN_TEST_REDIS_URL=redis://127.0.0.1:6379/<db> node dist/api-test/bench/scale-out.bench.js
 *
 * BENCH_WORKERS (default "1,2,4"), BENCH_JOBS_PER_WORKER (default 4), BENCH_SIMULATE_S (default 4),
 * BENCH_STORAGE_RUNS (default 5). Uses the tests' Redis database (KILN_TEST_REDIS_URL; its kiln:*
 * keys are cleared). Prints; asserts nothing. scaleOutRows() and storageRows() return the figures
 * for a combined benchmark table (benchRows() flattens both).
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ApiProcess, type StartOptions, startApi } from '../test/support/api-process';
import { clearKilnKeys, tempDir } from '../test/support/env';
import { getJson, readSse, sample, upload } from '../test/support/http-client';
import { type MotoServer, startMoto } from '../test/support/moto';

const PNG = 'typical_misc_lantern.png';

/** One worker count's throughput. */
export interface ScaleOutRow {
  workers: number;
  jobs: number;
  /** First upload to last completed event. */
  seconds: number;
  jobsPerMinute: number;
  /** jobsPerMinute / (workers × the 1-worker rate of the same run). */
  ratio: number;
}

/** One store's time to a downloadable model (median over runs). */
export interface StorageRow {
  store: 'local folder' | 'S3 (moto_server)';
  runs: number;
  /** Upload → completed event → the web model downloaded whole, median. */
  medianS: number;
  /** medianS minus the local folder's. */
  extraS: number;
}

/** A flat row for a table of every benchmark (issue 13's `npm run bench`). */
export interface BenchRow {
  bench: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
}

interface Health {
  workers: { pid: number; state: string }[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Starts one api+worker and `workers - 1` worker-only processes, all idle, on one store. */
async function startCluster(
  workers: number,
  env: Record<string, string>,
  dirs: (name: string) => Pick<StartOptions, 'staticDir' | 'logDir'>,
): Promise<ApiProcess[]> {
  await clearKilnKeys();
  const api = await startApi({ ...dirs('api'), env });
  const processes = [api];
  for (let i = 1; i < workers; i++) {
    processes.push(
      await startApi({
        ...dirs(`worker-${i}`),
        env: { ...env, KILN_ROLE: 'worker' },
        ready: async (child) =>
          (await getJson<Health>(`${api.url}/api/health`)).body.workers.some(
            (w) => w.pid === child.pid && w.state === 'idle',
          ),
      }),
    );
  }
  return processes;
}

/** Uploads one picture and resolves when its task completed (seconds since `t0`). */
async function runOne(api: ApiProcess, t0: number): Promise<{ completedS: number; modelUrl: string }> {
  const accepted = await upload<{ task_id: string }>(api.url, sample(PNG));
  if (accepted.status !== 202)
    throw new Error(`upload refused: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const read = await readSse(`${api.url}/api/status/${accepted.body.task_id}`, { timeoutMs: 600_000 });
  const last = read.events[read.events.length - 1];
  if (last?.event !== 'completed')
    throw new Error(`task ${accepted.body.task_id} ended ${JSON.stringify(last)}`);
  return { completedS: (performance.now() - t0) / 1000, modelUrl: String(last.data['model_url']) };
}

/** Jobs per minute for each worker count (simulate engine, SIMULATE_SECONDS = simulateS). */
export async function scaleOutRows(
  workerCounts: number[] = [1, 2, 4],
  jobsPerWorker = 4,
  simulateS = 4,
): Promise<ScaleOutRow[]> {
  const rows: Omit<ScaleOutRow, 'ratio'>[] = [];
  for (const workers of workerCounts) {
    const dir = tempDir(`bench-scale-${workers}`);
    const jobs = workers * jobsPerWorker;
    // One machine: the processes share one folder (the several-GPU deployment).
    const dirs = (name: string) => ({
      staticDir: join(dir.path, 'static'),
      logDir: join(dir.path, name, 'logs'),
    });
    const processes = await startCluster(
      workers,
      { SIMULATE_SECONDS: String(simulateS), MAX_QUEUE: String(jobs) },
      dirs,
    );
    try {
      const t0 = performance.now();
      const done = await Promise.all(Array.from({ length: jobs }, () => runOne(processes[0], t0)));
      const seconds = Math.max(...done.map((d) => d.completedS));
      rows.push({ workers, jobs, seconds, jobsPerMinute: (jobs / seconds) * 60 });
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      dir.remove();
    }
  }
  const single = rows.find((r) => r.workers === 1)?.jobsPerMinute ?? rows[0].jobsPerMinute / rows[0].workers;
  return rows.map((r) => ({ ...r, ratio: r.jobsPerMinute / (r.workers * single) }));
}

/** Median time to a downloadable model, local folder versus a bucket, one worker, sequential jobs. */
export async function storageRows(runs = 5, simulateS = 1): Promise<StorageRow[]> {
  let moto: MotoServer | undefined;
  const medians: [StorageRow['store'], number][] = [];
  try {
    moto = await startMoto();
    await moto.createBucket('kiln-bench');
    const stores: [StorageRow['store'], Record<string, string>][] = [
      ['local folder', {}],
      ['S3 (moto_server)', { STORAGE_URL: 's3://kiln-bench/models', ...moto.env() }],
    ];
    for (const [store, env] of stores) {
      const dir = tempDir('bench-storage');
      const dirs = (name: string) => ({
        staticDir: join(dir.path, 'static'),
        logDir: join(dir.path, name, 'logs'),
      });
      const [api] = await startCluster(1, { SIMULATE_SECONDS: String(simulateS), ...env }, dirs);
      try {
        const times: number[] = [];
        for (let i = 0; i <= runs; i++) {
          const t0 = performance.now();
          const { modelUrl } = await runOne(api, t0);
          const model = await fetch(modelUrl);
          if (model.status !== 200) throw new Error(`${modelUrl}: ${model.status}`);
          await model.arrayBuffer();
          if (i > 0) times.push((performance.now() - t0) / 1000); // the first run warms up
        }
        medians.push([store, median(times)]);
      } finally {
        await api.stop();
        dir.remove();
      }
    }
  } finally {
    await moto?.stop();
  }
  const local = medians[0][1];
  return medians.map(([store, medianS]) => ({ store, runs, medianS, extraS: medianS - local }));
}

/** Both tables as flat rows for a combined benchmark report. */
export function benchRows(scale: ScaleOutRow[], storage: StorageRow[]): BenchRow[] {
  return [
    ...scale.flatMap((r) => [
      {
        bench: 'scale-out',
        case: `${r.workers} worker(s)`,
        metric: 'jobs per minute',
        value: r.jobsPerMinute,
        unit: 'jobs/min',
      },
      {
        bench: 'scale-out',
        case: `${r.workers} worker(s)`,
        metric: 'ratio to N × 1 worker',
        value: r.ratio,
        unit: '',
      },
    ]),
    ...storage.map((r) => ({
      bench: 'model storage',
      case: r.store,
      metric: 'extra time to downloadable vs local',
      value: r.extraS,
      unit: 's',
    })),
  ];
}

async function main(): Promise<void> {
  const counts = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
  const perWorker = Number(process.env.BENCH_JOBS_PER_WORKER ?? 4);
  const simulateS = Number(process.env.BENCH_SIMULATE_S ?? 4);
  const scale = await scaleOutRows(counts, perWorker, simulateS);
  console.log(`\nScale-out (simulate engine, ${simulateS} s a job, ${perWorker} jobs per worker, one Redis)`);
  console.log('workers  jobs  seconds  jobs/min  ratio to N x 1 worker');
  for (const r of scale) {
    console.log(
      `${String(r.workers).padStart(7)}  ${String(r.jobs).padStart(4)}  ${r.seconds.toFixed(1).padStart(7)}  ` +
        `${r.jobsPerMinute.toFixed(2).padStart(8)}  ${r.ratio.toFixed(3)}`,
    );
  }
  const storage = await storageRows(Number(process.env.BENCH_STORAGE_RUNS ?? 5));
  console.log(
    '\nTime to a downloadable model (upload -> completed -> web GLB downloaded; 1 worker, simulate 1 s)',
  );
  console.log('store               runs  median s  extra s vs local');
  for (const r of storage) {
    console.log(
      `${r.store.padEnd(18)}  ${String(r.runs).padStart(4)}  ${r.medianS.toFixed(3).padStart(8)}  ${r.extraS.toFixed(3)}`,
    );
  }
  await clearKilnKeys();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
