import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { GlbOptimisationError, GlbOptimizer } from '../glb/glb-optimizer';
import { ModelStore } from './model-store';
import { lodModelName, sourceModelName, webModelName } from './model-names';

/**
 * The steps that put a model into the ModelStore whole (each model named by its model id, a UUID v4
 * recorded in its task: TaskRecord.model_id): the sidecar writes the source
 * into the store's local work folder, the web model is made beside it, and only complete files
 * are published (a folder: renamed; a bucket: uploaded, then the local copy removed).
 */
@Injectable()
export class StorageService implements OnModuleInit {
  private readonly logger = new Logger(StorageService.name);

  constructor(
    private readonly store: ModelStore,
    private readonly optimizer: GlbOptimizer,
  ) {}

  /** Stops the start when the store cannot be used (ModelStoreUnavailableError: missing bucket, refused credentials). */
  async onModuleInit(): Promise<void> {
    await this.store.check();
    this.logger.log(`models stored in ${this.store.location}`);
  }

  /** Local path where a model's source is received from the sidecar (GenerateCall writes a temporary name, then renames). */
  sourcePath(modelId: string): string {
    return join(this.store.workDir, sourceModelName(modelId));
  }

  /** Local path of the web model before it is published (the folder store: its final place). */
  webPath(modelId: string): string {
    return join(this.store.workDir, webModelName(modelId));
  }

  /** Local path of the LOD before it is published (the folder store: its final place). */
  lodPath(modelId: string): string {
    return join(this.store.workDir, lodModelName(modelId));
  }

  /** The path or URL a finished task hands out for a model: /static/{name}, or the bucket's public URL. */
  modelPath(name: string): string {
    return this.store.publicUrl(name) ?? `/static/${name}`;
  }

  /**
   * A new local path in the work folder for a file of this model being made: neither servable nor
   * a model's name, and removed with the model's other leftovers (removeModels).
   */
  temporaryPath(modelId: string): string {
    return join(this.store.workDir, `.${modelId}.${randomBytes(4).toString('hex')}.partial`);
  }

  /**
   * Makes {modelId}.glb, the model for the web (meshopt geometry, WebP textures), and
   * {modelId}.lod.glb, its small level of detail (issue 21: drawn first), from the engine's
   * {modelId}.source.glb, written under temporary names that are neither servable nor *.glb, then
   * publishes them (the source first, the LOD before the web model: a task is completed only once
   * all are in the store), so a partial file is never served or swept. Resolves whether a LOD was
   * published (none when the optimisation failed and the source is published unchanged).
   *
   * A source that fails glTF-Validator rejects (the task fails: 500 Internal error, logged with
   * the validator's errors). A valid source that cannot be optimised is published unchanged,
   * with a warning: the user still gets a correct model, only a larger one, instead of a failed
   * job for a problem in an optional step.
   */
  async publishWebModel(modelId: string): Promise<{ lod: boolean }> {
    const source = this.sourcePath(modelId);
    const temporary = this.temporaryPath(modelId);
    const lodTemporary = this.temporaryPath(modelId);
    let lod = false;
    // The source was published by the GPU job (publishSource). The process that ran it kept its
    // local copy (a bucket's too: no download of what it just uploaded); another process, maybe on
    // another machine, fetches it from the store into its own work folder first.
    const fetched = !existsSync(source);
    // A bucket's work folder is scratch: the local source goes once the web model is made.
    const scratch = this.store.workDir !== this.store.location;
    try {
      if (fetched) await this.fetchModel(sourceModelName(modelId), source);
      try {
        const stats = await this.optimizer.optimise(source, temporary, lodTemporary);
        lod = stats.lodBytes > 0 && existsSync(lodTemporary);
        this.logger.log(
          `optimised model=${modelId} ${stats.sourceBytes} -> ${stats.webBytes} bytes ` +
            `(LOD ${stats.lodBytes} bytes) in ${stats.seconds.toFixed(2)} s (${stats.textures} WebP texture(s))`,
        );
        for (const note of stats.notes) this.logger.debug(`optimise model=${modelId}: ${note}`);
      } catch (error) {
        if (!(error instanceof GlbOptimisationError)) throw error;
        this.logger.warn(
          `optimisation failed model=${modelId}: ${error.message}; publishing the source unchanged`,
        );
        await rm(temporary, { force: true });
        await rm(lodTemporary, { force: true });
        await copyFile(source, temporary);
      }
      if (lod) await this.store.publish(lodTemporary, lodModelName(modelId));
      await this.store.publish(temporary, webModelName(modelId));
      return { lod };
    } catch (error) {
      await rm(temporary, { force: true });
      await rm(lodTemporary, { force: true });
      throw error;
    } finally {
      if (fetched || scratch) await rm(source, { force: true });
    }
  }

  /**
   * Publishes the source GLB received from the sidecar (sourcePath) to the store, at the end of
   * the GPU job: whichever worker then makes the web model (publishWebModel) finds it there. A
   * local store's work folder is the store, so this is a no-op there; a bucket gets one upload and
   * the local copy stays for this process's own web-model step.
   */
  async publishSource(modelId: string): Promise<void> {
    await this.store.publish(this.sourcePath(modelId), sourceModelName(modelId), { keepLocal: true });
  }

  /**
   * Runs `use` with a local path of the model's source GLB: the work folder's own file when this
   * process has it (a folder store, or a bucket's process that just made it), else a temporary
   * copy fetched from the store and removed afterwards. Rejects when the store no longer has it.
   */
  async withLocalSource<T>(modelId: string, use: (path: string) => Promise<T>): Promise<T> {
    const local = this.sourcePath(modelId);
    if (existsSync(local)) return use(local);
    const copy = this.temporaryPath(modelId);
    try {
      await this.fetchModel(sourceModelName(modelId), copy);
      return await use(copy);
    } finally {
      await rm(copy, { force: true });
    }
  }

  /** Copies a model from the store to a local file (written whole, then renamed into place). */
  private async fetchModel(name: string, path: string): Promise<void> {
    const partial = `${path}.${randomBytes(4).toString('hex')}.fetch`;
    try {
      await pipeline(await this.store.read(name), createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  /**
   * Restarts the retention of a kept model (an instant repeat reuses it): each of its models,
   * named by their model paths (/static/{name}), gets a new last-modified time in the store,
   * which the cleanup cron reads. Resolves false when any of them is gone (swept, or never made).
   */
  async keepModels(modelPaths: string[]): Promise<boolean> {
    for (const path of modelPaths) {
      if (!(await this.store.touch(basename(path)).catch(() => false))) return false;
    }
    return true;
  }

  /**
   * Removes a model's files from the store (its task cancelled or failed after the model arrived)
   * and its local leftovers in the work folder: the source, and a ".{modelId}.{hex}.partial" (a model
   * being received from the sidecar, or a web model being optimised) left by an api killed meanwhile.
   */
  async removeModels(modelId: string): Promise<void> {
    const workDir = this.store.workDir;
    const leftovers = (await readdir(workDir).catch(() => [] as string[])).filter(
      (name) => name.startsWith(`.${modelId}.`) && name.endsWith('.partial'),
    );
    await Promise.all([
      this.store.remove([sourceModelName(modelId), webModelName(modelId), lodModelName(modelId)]),
      rm(this.sourcePath(modelId), { force: true }),
      rm(this.lodPath(modelId), { force: true }),
      rm(this.webPath(modelId), { force: true }),
      ...leftovers.map((name) => rm(join(workDir, name), { force: true })),
    ]);
  }
}
