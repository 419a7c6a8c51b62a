/**
 * The web model stage, measured: for each input, source and optimised bytes, the ratio, the
 * optimisation time (median of BENCH_RUNS, through WorkerGlbOptimizer as the api runs it:
 * worker start, validation, reading and writing included), the download time of both files at
 * 10 Mbps, and the longest main-thread event-loop stall with the work in the worker versus
 * inline on the main thread (why it runs in a worker).
 *
 *   npx tsc -p api && node dist/api-test/bench/glb-optimize.bench.js
 *
 * BENCH_RUNS (default 5) runs per input and mode. Inputs: the two textured GLBs in fixtures/glb, a GLB of the inflate engine, and a synthetic
 * TRELLIS-sized model (about a million triangles, a 4096 px texture). Prints; asserts nothing.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { optimiseGlb } from '../src/glb/glb-optimize';
import { WorkerGlbOptimizer } from '../src/glb/glb-optimizer';
import { GLB_DIR, SAMPLES_DIR, tempDir } from '../test/support/env';
import { inflateGlb, texturedGridGlb } from '../test/support/glb-models';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LINK_BITS_PER_S = 10e6;

interface Row {
  name: string;
  sourceBytes: number;
  webBytes: number;
  /** Through WorkerGlbOptimizer, as the api runs it. */
  workerS: number;
  /** optimiseGlb() on the main thread (no worker start, no validation, no file I/O). */
  inlineS: number;
  /** Longest main-thread event-loop stall of a run (median over runs). */
  stallWorkerMs: number;
  stallInlineMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs work() while sampling the main thread's event-loop delay: seconds taken, longest stall in ms. */
async function timed(work: () => Promise<unknown>): Promise<{ seconds: number; stallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const startedAt = performance.now();
  await work();
  const seconds = (performance.now() - startedAt) / 1000;
  histogram.disable();
  return { seconds, stallMs: histogram.max / 1e6 };
}

async function measure(name: string, sourcePath: string, workDir: string): Promise<Row> {
  const optimizer = new WorkerGlbOptimizer();
  const source = new Uint8Array(await readFile(sourcePath));
  const target = join(workDir, `${name}.web.glb`);
  await optimizer.optimise(sourcePath, target); // warm-up: file cache, code loaded once
  await optimiseGlb(source);
  const worker: { seconds: number; stallMs: number }[] = [];
  const inline: { seconds: number; stallMs: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    worker.push(await timed(() => optimizer.optimise(sourcePath, target)));
    inline.push(await timed(() => optimiseGlb(source)));
  }
  return {
    name,
    sourceBytes: source.byteLength,
    webBytes: (await readFile(target)).byteLength,
    workerS: median(worker.map((m) => m.seconds)),
    inlineS: median(inline.map((m) => m.seconds)),
    stallWorkerMs: median(worker.map((m) => m.stallMs)),
    stallInlineMs: median(inline.map((m) => m.stallMs)),
  };
}

function seconds(bytes: number): string {
  return `${((bytes * 8) / LINK_BITS_PER_S).toFixed(2)} s`;
}

async function main(): Promise<void> {
  const dir = tempDir('glb-bench');
  try {
    const inputs: [string, string][] = [
      ['valve-index-left-jpeg', join(GLB_DIR, 'valve-index-left-jpeg.glb')],
      ['generic-trigger-left', join(GLB_DIR, 'generic-trigger-left.glb')],
    ];
    const inflated = join(dir.path, 'inflate-elephant.glb');
    await inflateGlb(join(SAMPLES_DIR, 'typical_creature_elephant.png'), inflated);
    inputs.push(['inflate-elephant', inflated]);
    const dense = join(dir.path, 'synthetic-1M.glb');
    await writeFile(dense, await texturedGridGlb({ cells: 708, textureSize: 4096 }));
    inputs.push(['synthetic-1M-tris-4k-tex', dense]);

    const rows: Row[] = [];
    for (const [name, path] of inputs) {
      const local = join(dir.path, `${name}.source.glb`);
      if (path !== local) await copyFile(path, local);
      rows.push(await measure(name, local, dir.path));
      process.stderr.write(`measured ${name}\n`);
    }

    const header = [
      'input',
      'source bytes',
      'web bytes',
      'web/source',
      'optimise: worker',
      'inline',
      '10 Mbps: source',
      'web',
      'loop stall: worker',
      'inline',
    ];
    const lines = rows.map((r) => [
      r.name,
      String(r.sourceBytes),
      String(r.webBytes),
      `${((100 * r.webBytes) / r.sourceBytes).toFixed(1)} %`,
      `${r.workerS.toFixed(2)} s`,
      `${r.inlineS.toFixed(2)} s`,
      seconds(r.sourceBytes),
      seconds(r.webBytes),
      `${r.stallWorkerMs.toFixed(0)} ms`,
      `${r.stallInlineMs.toFixed(0)} ms`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const format = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
    console.log(
      `GLB web optimisation, Node ${process.version}: medians of ${RUNS} runs; loop stall = longest ` +
        'main-thread event-loop delay during one optimisation',
    );
    console.log(format(header));
    for (const line of lines) console.log(format(line));
  } finally {
    dir.remove();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
