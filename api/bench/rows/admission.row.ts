import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { startApi } from '../../test/support/api-process';
import { freePort } from '../../test/support/ports';
import { REPO_ROOT, SAMPLES_DIR, clearKilnKeys, sleep } from '../../test/support/env';
import { type BenchRow, ratioLine } from '../support/bench-row';
import { cpuMs } from '../support/proc';

const CLIENTS = 20;
const GOAL_RATIO = 1.5;
const ROW = 'upload admission';

/** What the autocannon package's programmatic API returns (the part read here; README "Results"). */
interface AutocannonResult {
  latency: { p50: number; p99: number };
  /** When the run started and finished. */
  start: Date;
  finish: Date;
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no types
const autocannon = require('autocannon') as Autocannon;

/** POSTs the picture as field `image` from CLIENTS connections, `amount` requests in all. */
async function load(url: string, picture: string, amount: number): Promise<AutocannonResult> {
  const result = await autocannon({
    url: `${url}/api/generate`,
    method: 'POST',
    connections: CLIENTS,
    amount,
    timeout: 60,
    form: {
      image: { type: 'file', path: picture, options: { filename: 'upload.jpg', contentType: 'image/jpeg' } },
    },
  });
  if (result['2xx'] !== amount || result.errors > 0) {
    throw new Error(
      `${url}: ${result['2xx']} of ${amount} answered 2xx (${result.non2xx} other, ${result.errors} errors)`,
    );
  }
  return result;
}

/** Spawns a baseline server and waits until it accepts connections. */
async function startServer(cmd: string, args: string[], url: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not listen: ${stderr.slice(-2000)}`);
    }
    try {
      await fetch(`${url}/api/generate`, { method: 'GET' });
      return child;
    } catch {
      await sleep(200);
    }
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Upload admission (issue 13): POST /api/generate latency at 20 concurrent clients with
 * autocannon against the real api (simulate engine, one job holding the sidecar so every task
 * waits; MAX_QUEUE raised so none is refused), beside two baselines run in the same process
 * shape: a bare NestJS + multer endpoint doing the same validation and normalisation (the
 * framework's floor), and FastAPI + uvicorn + Pillow doing the same (the seed's stack).
 */
export const row: BenchRow = {
  name: 'admission',
  order: 10,
  async run(context) {
    // Quick: npm test's form, where the figures only have to print (another suite runs beside
    // it): one upload per connection of warm-up, and 30 measured, half the CPU of 40 + 60.
    const amount = context.quick ? 30 : 400;
    const warmUp = context.quick ? CLIENTS : CLIENTS * 2;
    // A 512 px JPEG from the fixtures: a typical phone crop, kept small so the queue's stored
    // images stay a few MB in the benchmark's Redis database.
    const picture = join(context.workDir, 'upload.jpg');
    await writeFile(
      picture,
      await sharp(join(SAMPLES_DIR, 'lantern_on_white.jpg'))
        .resize(512, 512, { fit: 'inside' })
        .jpeg()
        .toBuffer(),
    );
    const rate = (r: AutocannonResult): string =>
      ((amount * 1000) / (new Date(r.finish).getTime() - new Date(r.start).getTime())).toFixed(1);
    /** CPU ms per upload of the server's own process, by label (after the warm-up). */
    const cpuPerUpload = new Map<string, number>();
    const measure = async (
      label: string,
      url: string,
      pid: number | undefined,
    ): Promise<AutocannonResult> => {
      await load(url, picture, warmUp); // warm-up: JIT, sharp's first decode, connections
      const cpuFrom = pid === undefined ? 0 : cpuMs(pid);
      const result = await load(url, picture, amount);
      if (pid !== undefined) cpuPerUpload.set(label, (cpuMs(pid) - cpuFrom) / amount);
      context.log(
        `${label}: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${rate(result)} req/s` +
          (pid === undefined ? '' : `, ${cpuPerUpload.get(label)?.toFixed(1)} ms CPU per upload`),
      );
      return result;
    };

    const nestPort = await freePort();
    const nestUrl = `http://127.0.0.1:${nestPort}`;
    const nest = await startServer(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'api-test', 'bench', 'support', 'bare-upload-nest.js'), String(nestPort)],
      nestUrl,
    );
    let bare: AutocannonResult;
    try {
      bare = await measure('bare NestJS', nestUrl, nest.pid);
    } finally {
      await stopServer(nest);
    }

    await clearKilnKeys(context.redisUrl);
    const api = await startApi({
      staticDir: join(context.workDir, 'static'),
      logDir: join(context.workDir, 'logs'),
      env: {
        REDIS_URL: context.redisUrl,
        SIMULATE_SECONDS: '3600',
        JOB_TIMEOUT_S: '7200',
        MAX_QUEUE: String(amount + warmUp + 10),
      },
    });
    let product: AutocannonResult;
    try {
      product = await measure('Kiln3D api', api.url, api.child.pid);
    } finally {
      await api.stop();
      await clearKilnKeys(context.redisUrl);
    }

    const pyPort = await freePort();
    const pyUrl = `http://127.0.0.1:${pyPort}`;
    const python = await startServer(
      join(REPO_ROOT, 'inference', '.venv', 'bin', 'python'),
      [
        '-m',
        'uvicorn',
        'bare_upload_fastapi:app',
        '--app-dir',
        join(REPO_ROOT, 'inference', 'benchmarks'),
        '--host',
        '127.0.0.1',
        '--port',
        String(pyPort),
        '--log-level',
        'warning',
      ],
      pyUrl,
    );
    let fastapi: AutocannonResult;
    try {
      fastapi = await measure('FastAPI', pyUrl, undefined);
    } finally {
      await stopServer(python);
    }

    const note =
      `autocannon, ${CLIENTS} connections, ${amount} uploads of a 512 px JPEG after ${warmUp} warm-up; ` +
      `uploads/s: api ${rate(product)}, bare NestJS ${rate(bare)}, FastAPI ${rate(fastapi)}`;
    return [
      ratioLine(
        { row: ROW, figure: `p50, ${CLIENTS} clients`, value: product.latency.p50, unit: 'ms', note },
        { label: 'bare NestJS + multer, same validation', value: bare.latency.p50 },
        GOAL_RATIO,
      ),
      ratioLine(
        { row: ROW, figure: `p99, ${CLIENTS} clients`, value: product.latency.p99, unit: 'ms' },
        { label: 'bare NestJS + multer, same validation', value: bare.latency.p99 },
        GOAL_RATIO,
      ),
      ratioLine(
        {
          row: ROW,
          figure: 'CPU per upload, the server process',
          value: cpuPerUpload.get('Kiln3D api') ?? Number.NaN,
          unit: 'ms',
          note:
            'user + system time of the process (/proc, 10 ms steps) over the measured uploads, ÷ uploads; ' +
            "the api's Redis work runs in redis-server, its sidecar apart: neither is counted",
        },
        {
          label: 'bare NestJS + multer, same validation',
          value: cpuPerUpload.get('bare NestJS') ?? Number.NaN,
        },
        undefined,
      ),
      ratioLine(
        { row: ROW, figure: `p50 vs the seed's stack`, value: product.latency.p50, unit: 'ms' },
        { label: 'FastAPI + uvicorn + Pillow, same validation', value: fastapi.latency.p50 },
        undefined,
      ),
      ratioLine(
        { row: ROW, figure: `p99 vs the seed's stack`, value: product.latency.p99, unit: 'ms' },
        { label: 'FastAPI + uvicorn + Pillow, same validation', value: fastapi.latency.p99 },
        undefined,
      ),
    ];
  },
};
