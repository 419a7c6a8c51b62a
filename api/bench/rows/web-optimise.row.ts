import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { optimiseGlb } from '../../src/glb/glb-optimize';
import { WorkerGlbOptimizer } from '../../src/glb/glb-optimizer';
import { GLB_DIR, SAMPLES_DIR } from '../../test/support/env';
import { inflateGlb, texturedGridGlb } from '../../test/support/glb-models';
import { type BenchLine, type BenchRow, median } from '../support/bench-row';

interface Timed {
  seconds: number;
  /** Longest main-thread event-loop delay while it ran (ms). */
  stallMs: number;
}

/** Runs work() while sampling the main thread's event-loop delay. */
async function timed(work: () => Promise<unknown>): Promise<Timed> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const startedAt = performance.now();
  await work();
  const seconds = (performance.now() - startedAt) / 1000;
  histogram.disable();
  return { seconds, stallMs: histogram.max / 1e6 };
}

/**
 * Web optimisation (the api's glb/ stage; it no longer holds the GPU, see the GPU idle gap row):
 * per input, the time through WorkerGlbOptimizer as the api runs it (validation, file I/O; its
 * thread kept between models, as in the api: started by the warm-up) and the longest main-thread
 * event-loop stall meanwhile, each beside optimiseGlb() inline on the main thread in the same run
 * (why it runs in a worker: every request and SSE stream of the api waits out a stall). Bytes
 * before and after are the delivery row's.
 */
export const row: BenchRow = {
  name: 'web-optimise',
  order: 45,
  async run(context) {
    const runs = context.quick ? 1 : 5;
    const inputs: [string, () => Promise<void>][] = [];
    const path = (name: string): string => join(context.workDir, `${name}.source.glb`);
    inputs.push([
      'generic-trigger-left.glb',
      () => copyFile(join(GLB_DIR, 'generic-trigger-left.glb'), path('generic-trigger-left.glb')),
    ]);
    if (!context.quick) {
      inputs.push([
        'inflate engine, elephant',
        () =>
          inflateGlb(join(SAMPLES_DIR, 'typical_creature_elephant.png'), path('inflate engine, elephant')),
      ]);
      inputs.push([
        'generated 1M faces, 4096 px',
        async () =>
          writeFile(
            path('generated 1M faces, 4096 px'),
            await texturedGridGlb({ cells: 708, textureSize: 4096 }),
          ),
      ]);
    }
    const optimizer = new WorkerGlbOptimizer();
    const lines: BenchLine[] = [];
    for (const [name, make] of inputs) {
      await make();
      const sourcePath = path(name);
      const target = join(context.workDir, 'web.glb');
      const source = new Uint8Array(await readFile(sourcePath));
      await optimizer.optimise(sourcePath, target); // warm-up: file cache, code loaded once
      await optimiseGlb(source);
      const worker: Timed[] = [];
      const inline: Timed[] = [];
      for (let i = 0; i < runs; i++) {
        worker.push(await timed(() => optimizer.optimise(sourcePath, target)));
        inline.push(await timed(() => optimiseGlb(source)));
      }
      const workerS = median(worker.map((t) => t.seconds));
      const inlineS = median(inline.map((t) => t.seconds));
      const stallWorker = median(worker.map((t) => t.stallMs));
      const stallInline = median(inline.map((t) => t.stallMs));
      context.log(`${name}: worker ${workerS.toFixed(2)} s, stall ${stallWorker.toFixed(0)} ms`);
      lines.push(
        {
          row: `web optimisation: ${name}`,
          figure: `time in the worker (median of ${runs})`,
          value: workerS,
          unit: 's',
          baseline: { label: 'inline, no validation or I/O', value: inlineS },
          ratio: workerS / inlineS,
        },
        {
          row: `web optimisation: ${name}`,
          figure: 'longest event-loop stall',
          value: stallWorker,
          unit: 'ms',
          baseline: { label: 'inline on the main thread', value: stallInline },
          ratio: stallWorker / stallInline,
        },
      );
    }
    await optimizer.onApplicationShutdown();
    return lines;
  },
};
