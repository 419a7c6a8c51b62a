import { readFile, writeFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { type GlbOptimiseOptions, describeThrown, optimiseGlb, validateGlb } from './glb-optimize';

/** What WorkerGlbOptimizer hands this thread. */
export interface OptimiseJob {
  sourcePath: string;
  targetPath: string;
  /** Where the LOD goes (options.lod); none is made without it. */
  lodPath?: string;
  options: GlbOptimiseOptions;
}

/** Messages back, in order: `invalid`, or `validated` then `done` or `failed`. */
export type OptimiseMessage =
  | { type: 'invalid'; errors: number; firstErrors: string[] }
  | { type: 'validated'; warnings: number }
  | {
      type: 'done';
      sourceBytes: number;
      webBytes: number;
      /** The LOD's bytes; 0 when none was made. */
      lodBytes: number;
      textures: number;
      notes: string[];
    }
  | { type: 'failed'; message: string; stack?: string };

/** One job per thread: validate the source, optimise it, write the result to targetPath (and the LOD to lodPath). */
async function run(job: OptimiseJob, post: (message: OptimiseMessage) => void): Promise<void> {
  const source = new Uint8Array(await readFile(job.sourcePath));
  const validation = await validateGlb(source);
  if (validation.errors > 0) {
    post({ type: 'invalid', errors: validation.errors, firstErrors: validation.firstErrors });
    return;
  }
  post({ type: 'validated', warnings: validation.warnings });
  try {
    const lod = job.lodPath !== undefined ? job.options.lod : undefined;
    const optimised = await optimiseGlb(source, { ...job.options, lod });
    await writeFile(job.targetPath, optimised.bytes);
    if (job.lodPath !== undefined && optimised.lodBytes) await writeFile(job.lodPath, optimised.lodBytes);
    post({
      type: 'done',
      sourceBytes: source.byteLength,
      webBytes: optimised.bytes.byteLength,
      lodBytes: optimised.lodBytes?.byteLength ?? 0,
      textures: optimised.textures,
      notes: optimised.notes,
    });
  } catch (error) {
    post({
      type: 'failed',
      message: describeThrown(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
  }
}

if (parentPort) {
  const port = parentPort;
  // A rejection here (e.g. the source unreadable) surfaces as the worker's 'error' event.
  void run(workerData as OptimiseJob, (message) => port.postMessage(message));
}
