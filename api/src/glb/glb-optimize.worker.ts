import { readFile, writeFile } from 'node:fs/promises';
import { type MessagePort, threadId } from 'node:worker_threads';
import { type GlbOptimiseOptions, optimiseGlb, validateGlb } from './glb-optimize';
import { errorMessage } from '../common/error-message';

/** What WorkerGlbOptimizer hands the thread for one model. */
export interface OptimiseJob {
  sourcePath: string;
  targetPath: string;
  /** Where the LOD goes (options.lod); none is made without it. */
  lodPath?: string;
  options: GlbOptimiseOptions;
}

/** One task of the pool (piscina): the job, and a port that hears `validated` as soon as it is so. */
export interface OptimiseTask {
  job: OptimiseJob;
  progress: MessagePort;
}

/** Posted on the task's port once the source passed glTF-Validator, before the optimisation. */
export interface ValidatedNotice {
  type: 'validated';
  warnings: number;
}

/** How a task ends, unless the thread itself dies (a heap limit, a terminate on time-out). */
export type OptimiseOutcome =
  | { type: 'invalid'; errors: number; firstErrors: string[] }
  | {
      type: 'done';
      sourceBytes: number;
      webBytes: number;
      /** The LOD's bytes; 0 when none was made. */
      lodBytes: number;
      textures: number;
      notes: string[];
      /** The worker thread that made it (node:worker_threads threadId). */
      thread: number;
    }
  | { type: 'failed'; message: string; stack?: string };

/**
 * The pool's task (piscina calls it by name in a worker thread that stays for the next model):
 * validate the source, optimise it, write the result to targetPath (and the LOD to lodPath).
 * Rejects only before validation ends (e.g. the source unreadable); a failure of the
 * optimisation itself is the `failed` outcome.
 */
export async function optimise({ job, progress }: OptimiseTask): Promise<OptimiseOutcome> {
  try {
    const source = new Uint8Array(await readFile(job.sourcePath));
    const validation = await validateGlb(source);
    if (validation.errors > 0)
      return { type: 'invalid', errors: validation.errors, firstErrors: validation.firstErrors };
    progress.postMessage({ type: 'validated', warnings: validation.warnings } satisfies ValidatedNotice);
    try {
      const lod = job.lodPath !== undefined ? job.options.lod : undefined;
      const optimised = await optimiseGlb(source, { ...job.options, lod });
      await writeFile(job.targetPath, optimised.bytes);
      if (job.lodPath !== undefined && optimised.lodBytes) await writeFile(job.lodPath, optimised.lodBytes);
      return {
        type: 'done',
        sourceBytes: source.byteLength,
        webBytes: optimised.bytes.byteLength,
        lodBytes: optimised.lodBytes?.byteLength ?? 0,
        textures: optimised.textures,
        notes: optimised.notes,
        thread: threadId,
      };
    } catch (error) {
      return {
        type: 'failed',
        message: errorMessage(error),
        stack: error instanceof Error ? error.stack : undefined,
      };
    }
  } finally {
    progress.close();
  }
}
