// Loaded by the main thread before any worker: on glibc Linux sharp's shared libraries must stay
// loaded until every thread that used them has ended (sharp's documentation on worker threads).
import 'sharp';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
// Not './glb-optimize': that loads gltf-transform, which only the worker thread needs.
import { DEFAULT_OPTIMISE_OPTIONS, type GlbOptimiseOptions } from './glb-optimise-options';
import type { OptimiseJob, OptimiseMessage } from './glb-optimize.worker';

export interface GlbOptimisationStats {
  sourceBytes: number;
  webBytes: number;
  /** The LOD's bytes (issue 21); 0 when none was asked for. */
  lodBytes: number;
  textures: number;
  /** Wall time, reading and writing included. */
  seconds: number;
  /** gltf-transform's warnings, for the debug log. */
  notes: string[];
}

/** The engine's GLB fails glTF-Validator: a bug upstream, so the task fails (500 Internal error). */
export class InvalidSourceModelError extends Error {
  constructor(
    readonly errors: number,
    readonly firstErrors: string[],
  ) {
    super(`source GLB has ${errors} glTF-Validator error(s): ${firstErrors.join('; ')}`);
    this.name = 'InvalidSourceModelError';
  }
}

/** A valid source could not be optimised (a gltf-transform bug, a crash, the time limit). */
export class GlbOptimisationError extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    this.name = 'GlbOptimisationError';
    if (stack) this.stack = stack;
  }
}

/**
 * Source GLB file -> web GLB file (meshopt geometry, WebP textures), and with `lodPath` its small
 * level of detail there too (issue 21: drawn first). Rejects with
 * InvalidSourceModelError or GlbOptimisationError; anything else means the source's validity is
 * unknown. Abstract so tests can swap it (Nest injects the class as the token).
 */
export abstract class GlbOptimizer {
  abstract optimise(sourcePath: string, targetPath: string, lodPath?: string): Promise<GlbOptimisationStats>;
}

/** Compiled beside this file in every build (dist/api, dist/api-test/src). */
const WORKER_SCRIPT = join(__dirname, 'glb-optimize.worker.js');

export interface WorkerOptimizerSettings extends GlbOptimiseOptions {
  /** A worker still busy after this long is terminated (then: the fallback). */
  timeoutMs: number;
  /** Heap cap of the worker, so a huge model kills the worker, never the api. */
  maxHeapMb: number;
}

export const DEFAULT_WORKER_SETTINGS: WorkerOptimizerSettings = {
  ...DEFAULT_OPTIMISE_OPTIONS,
  timeoutMs: 120_000,
  maxHeapMb: 3072,
};

/**
 * Runs each optimisation in its own worker thread: on a TRELLIS-sized model (about a million
 * triangles) weld, quantisation and meshopt run in synchronous stretches of a quarter second and
 * more, stalling every request and SSE stream of this api process (measured by
 * api/bench/rows/web-optimise.row.ts; 10-75 ms in the worker). A fresh worker per job (0.2-0.7 s
 * more than inline, validation included) means a crash or the time limit leaves nothing behind.
 */
export class WorkerGlbOptimizer extends GlbOptimizer {
  constructor(private readonly settings: WorkerOptimizerSettings = DEFAULT_WORKER_SETTINGS) {
    super();
  }

  optimise(sourcePath: string, targetPath: string, lodPath?: string): Promise<GlbOptimisationStats> {
    const startedAt = performance.now();
    const job: OptimiseJob = {
      sourcePath,
      targetPath,
      lodPath,
      options: {
        maxTextureSize: this.settings.maxTextureSize,
        webpQuality: this.settings.webpQuality,
        lod: this.settings.lod,
      },
    };
    return new Promise<GlbOptimisationStats>((resolve, reject) => {
      const worker = new Worker(WORKER_SCRIPT, {
        workerData: job,
        resourceLimits: { maxOldGenerationSizeMb: this.settings.maxHeapMb },
      });
      let validated = false;
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
        void worker.terminate();
      };
      // Before validation ends nothing is known about the source, so a failure then is not "optimisation".
      const failure = (message: string, stack?: string): Error =>
        validated
          ? new GlbOptimisationError(message, stack)
          : new Error(`GLB validation did not finish: ${message}`);
      const timer = setTimeout(
        () => settle(() => reject(failure(`timed out after ${this.settings.timeoutMs} ms`))),
        this.settings.timeoutMs,
      );
      worker.on('message', (message: OptimiseMessage) => {
        switch (message.type) {
          case 'validated':
            validated = true;
            return;
          case 'invalid':
            return settle(() => reject(new InvalidSourceModelError(message.errors, message.firstErrors)));
          case 'failed':
            return settle(() => reject(new GlbOptimisationError(message.message, message.stack)));
          case 'done':
            return settle(() =>
              resolve({
                sourceBytes: message.sourceBytes,
                webBytes: message.webBytes,
                lodBytes: message.lodBytes,
                textures: message.textures,
                notes: message.notes,
                seconds: (performance.now() - startedAt) / 1000,
              }),
            );
        }
      });
      worker.on('error', (error) => settle(() => reject(failure(error.message, error.stack))));
      worker.on('exit', (code) => settle(() => reject(failure(`worker exited with code ${code}`))));
    });
  }
}
