// Loaded by the main thread before any worker: on glibc Linux sharp's shared libraries must stay
// loaded until every thread that used them has ended (sharp's documentation on worker threads).
import 'sharp';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Piscina } from 'piscina';
// Not './glb-optimize': that loads gltf-transform, which only the worker thread needs.
import { DEFAULT_OPTIMISE_OPTIONS, type GlbOptimiseOptions } from './glb-optimise-options';
import type { OptimiseJob, OptimiseOutcome, OptimiseTask, ValidatedNotice } from './glb-optimize.worker';
import { errorMessage } from '../common/error-message';

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
  /** The worker thread that made it (WorkerGlbOptimizer: the same while models keep coming). */
  thread?: number;
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
  /** A model still being optimised after this long has its thread terminated (then: the fallback). */
  timeoutMs: number;
  /** Heap cap of the thread, so a huge model kills the thread, never the api. */
  maxHeapMb: number;
  /** The thread ends after this long without a model (its modules and heap given back). */
  idleMs: number;
}

export const DEFAULT_WORKER_SETTINGS: WorkerOptimizerSettings = {
  ...DEFAULT_OPTIMISE_OPTIONS,
  timeoutMs: 120_000,
  maxHeapMb: 3072,
  // Longer than a TRELLIS.2 job (about a minute on an RTX 4090), so a queue of tasks keeps one thread.
  idleMs: 300_000,
};

/**
 * Runs each optimisation off the main thread: on a TRELLIS-sized model (about a million
 * triangles) weld, quantisation and meshopt run in synchronous stretches of a quarter second and
 * more, stalling every request and SSE stream of this api process (measured by
 * api/bench/rows/web-optimise.row.ts; 10-75 ms in the worker). One thread at a time (the
 * web-model queue runs one job per process), kept for the next model while they keep coming
 * (piscina's pool, `idleMs`): loading gltf-transform, glTF-Validator and meshopt's WebAssembly
 * costs a fresh thread about 0.85 CPU-s a model (docs/performance.md). A crash, the heap cap or
 * the time limit ends that thread, and the next model gets a new one: nothing of a failed model
 * is left behind.
 */
export class WorkerGlbOptimizer extends GlbOptimizer implements OnApplicationShutdown {
  private readonly pool: Piscina<OptimiseTask, OptimiseOutcome>;

  constructor(private readonly settings: WorkerOptimizerSettings = DEFAULT_WORKER_SETTINGS) {
    super();
    this.pool = new Piscina<OptimiseTask, OptimiseOutcome>({
      filename: WORKER_SCRIPT,
      name: 'optimise',
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: settings.idleMs,
      // The task awaits all of its work; no thread blocks in Atomics.wait between tasks.
      atomics: 'disabled',
      resourceLimits: { maxOldGenerationSizeMb: settings.maxHeapMb },
    });
  }

  async optimise(sourcePath: string, targetPath: string, lodPath?: string): Promise<GlbOptimisationStats> {
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
    const { port1: notices, port2: progress } = new MessageChannel();
    // Before validation ends nothing is known about the source, so a failure then is not "optimisation".
    let validated = false;
    notices.on('message', (notice: ValidatedNotice) => (validated ||= notice.type === 'validated'));
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.settings.timeoutMs);
    try {
      const outcome = await this.pool.run(
        { job, progress },
        { transferList: [progress], signal: timeout.signal },
      );
      switch (outcome.type) {
        case 'invalid':
          throw new InvalidSourceModelError(outcome.errors, outcome.firstErrors);
        case 'failed':
          throw new GlbOptimisationError(outcome.message, outcome.stack);
        case 'done':
          return {
            sourceBytes: outcome.sourceBytes,
            webBytes: outcome.webBytes,
            lodBytes: outcome.lodBytes,
            textures: outcome.textures,
            notes: outcome.notes,
            thread: outcome.thread,
            seconds: (performance.now() - startedAt) / 1000,
          };
      }
    } catch (error) {
      if (error instanceof InvalidSourceModelError || error instanceof GlbOptimisationError) throw error;
      // piscina terminated the thread (aborted), or it died (the heap cap), or the task rejected.
      const message = timeout.signal.aborted
        ? `timed out after ${this.settings.timeoutMs} ms`
        : errorMessage(error);
      const stack = error instanceof Error ? error.stack : undefined;
      throw validated
        ? new GlbOptimisationError(message, stack)
        : new Error(`GLB validation did not finish: ${message}`);
    } finally {
      clearTimeout(timer);
      notices.close();
    }
  }

  /** Ends the thread with the api (Nest's shutdown hooks), or a test's own optimiser. */
  onApplicationShutdown(): Promise<void> {
    return this.pool.destroy();
  }
}
