import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApi } from '../../test/support/api-process';
import { REPO_ROOT, SAMPLES_DIR, clearKilnKeys, sleep } from '../../test/support/env';
import { type BenchLine, type BenchRow, median } from '../support/bench-row';

const run = promisify(execFile);
const PYTHON = join(REPO_ROOT, 'inference', '.venv', 'bin', 'python');
const ADMIN_TOKEN = 'bench-admin-token';

interface InflateReport {
  pictures: { image: string; inflate_s: number; yardstick_s: number; triangles: number }[];
}

interface TexturingReport {
  cases: { mesh: string; size: number; seconds: number; base_size: number; base_seconds: number }[];
}

interface Health {
  inference?: { state?: string; restarts?: number };
}

/** Sidecar state changes the api logged (app log, its clock): [ms, from, to]. */
function stateChanges(logDir: string): [number, string, string][] {
  const changes: [number, string, string][] = [];
  for (const file of readdirSync(logDir).filter((f) => f.endsWith('.log'))) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      const m = /^(\S+Z) \w+ \[InferenceSupervisor\] inference sidecar (\w+) -> (\w+)/.exec(line);
      if (m) changes.push([Date.parse(m[1]), m[2], m[3]]);
    }
  }
  return changes.sort((a, b) => a[0] - b[0]);
}

/** The sidecar's own imports, timed in a fresh interpreter: the floor of any spawn. */
async function importFloorS(): Promise<number> {
  const started = Date.now();
  await run(PYTHON, ['-c', 'import grpc, numpy, scipy.ndimage, PIL.Image, pydantic_settings'], {
    cwd: join(REPO_ROOT, 'inference'),
  });
  return (Date.now() - started) / 1000;
}

/**
 * Engine (issue 13): inflate seconds per sample picture at 1024 px beside a same-run yardstick
 * (Pillow decoding, resizing to 1024 px and PNG-encoding the same picture;
 * inference/benchmarks/bench_inflate.py); the sidecar's spawn-to-ready (inflate engine, with
 * its warm-up) beside a fresh interpreter importing its dependencies; and a recycle (the admin
 * restart: stop, spawn, warm-up) beside the spawn; and the texturing of an uploaded mesh at two
 * texture sizes beside the smaller (inference/benchmarks/bench_texturing.py).
 */
export const row: BenchRow = {
  name: 'engine',
  order: 50,
  async run(context) {
    const pictures = context.quick
      ? [join(SAMPLES_DIR, 'typical_misc_lantern.png')]
      : readdirSync(SAMPLES_DIR)
          .filter((f) => /\.(png|jpe?g|webp)$/i.test(f))
          .map((f) => join(SAMPLES_DIR, f));
    const { stdout } = await run(
      PYTHON,
      ['benchmarks/bench_inflate.py', '--json', '--repeat', context.quick ? '1' : '3', ...pictures],
      { cwd: join(REPO_ROOT, 'inference'), maxBuffer: 1 << 20 },
    );
    const report = JSON.parse(stdout) as InflateReport;
    const lines: BenchLine[] = report.pictures.map((p) => ({
      row: 'engine: inflate at 1024 px',
      figure: p.image,
      value: p.inflate_s,
      unit: 's',
      baseline: { label: 'Pillow decode + resize + PNG, same picture', value: p.yardstick_s },
      ratio: p.inflate_s / p.yardstick_s,
      note: p === report.pictures[0] ? `median of ${context.quick ? 1 : 3} runs each` : undefined,
    }));

    const texturing = JSON.parse(
      (
        await run(
          PYTHON,
          ['benchmarks/bench_texturing.py', '--json', ...(context.quick ? ['--quick'] : [])],
          { cwd: join(REPO_ROOT, 'inference'), maxBuffer: 1 << 20 },
        )
      ).stdout,
    ) as TexturingReport;
    for (const c of texturing.cases)
      lines.push({
        row: 'engine: inflate texturing',
        figure: `${c.mesh}, ${c.size} px texture`,
        value: c.seconds,
        unit: 's',
        baseline: { label: `the same mesh, ${c.base_size} px texture`, value: c.base_seconds },
        ratio: c.seconds / c.base_seconds,
        note:
          c === texturing.cases[0]
            ? 'inference/benchmarks/bench_texturing.py; 4× the texels: a ratio near 4 or under is linear'
            : undefined,
      });

    const floor = await importFloorS();
    const logDir = join(context.workDir, 'logs');
    await clearKilnKeys(context.redisUrl);
    const api = await startApi({
      staticDir: join(context.workDir, 'static'),
      logDir,
      env: { REDIS_URL: context.redisUrl, INFERENCE_ENGINE: 'inflate', ADMIN_TOKEN },
    });
    const recycles: number[] = [];
    let spawnS: number;
    try {
      // The health answer can come before the log file's write lands (winston writes through the
      // libuv pool, slow on a loaded machine): wait for the lines rather than read once.
      let start: [number, string, string] | undefined;
      let ready: [number, string, string] | undefined;
      for (const t0 = Date.now(); ; await sleep(50)) {
        const changes = stateChanges(logDir);
        start = changes.find((c) => c[2] === 'starting');
        ready = changes.find((c) => c[2] === 'ready');
        if (start && ready) break;
        if (Date.now() - t0 > 15_000)
          throw new Error(`no starting/ready in the api log within 15 s: ${JSON.stringify(changes)}`);
      }
      spawnS = (ready[0] - start[0]) / 1000;
      for (let i = 0; i < (context.quick ? 1 : 3); i++) {
        const before =
          ((await (await fetch(`${api.url}/api/health`)).json()) as Health).inference?.restarts ?? 0;
        const t0 = Date.now();
        const response = await fetch(`${api.url}/api/admin/inference/restart`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        if (response.status !== 202) throw new Error(`restart answered ${response.status}`);
        for (;;) {
          const health = (await (await fetch(`${api.url}/api/health`)).json()) as Health;
          if (health.inference?.state === 'ready' && (health.inference.restarts ?? 0) > before) break;
          if (Date.now() - t0 > 120_000) throw new Error('the sidecar did not come back within 120 s');
          await sleep(20);
        }
        recycles.push((Date.now() - t0) / 1000);
      }
    } finally {
      await api.stop();
      await clearKilnKeys(context.redisUrl);
    }
    lines.push(
      {
        row: 'engine: sidecar',
        figure: 'spawn → ready (inflate, warm-up included)',
        value: spawnS,
        unit: 's',
        baseline: { label: 'python importing its dependencies', value: floor },
        ratio: spawnS / floor,
        note: "the api's log: sidecar state `starting` → `ready`",
      },
      {
        row: 'engine: sidecar',
        figure: `recycle (admin restart → ready), median of ${recycles.length}`,
        value: median(recycles),
        unit: 's',
        baseline: { label: 'spawn → ready', value: spawnS },
        ratio: median(recycles) / spawnS,
      },
    );
    return lines;
  },
};
