import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { GlbOptimisationError, GlbOptimizer } from '../glb/glb-optimizer';
import { sourceModelName, webModelName } from './model-names';

/** Where models live under STATIC_DIR, and the steps that put them there whole. */
@Injectable()
export class StorageService implements OnModuleInit {
  private readonly logger = new Logger(StorageService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly optimizer: GlbOptimizer,
  ) {}

  async onModuleInit(): Promise<void> {
    await mkdir(this.config.staticDir, { recursive: true });
  }

  sourcePath(taskId: string): string {
    return join(this.config.staticDir, sourceModelName(taskId));
  }

  webPath(taskId: string): string {
    return join(this.config.staticDir, webModelName(taskId));
  }

  private temporaryPath(taskId: string): string {
    return join(this.config.staticDir, `.${taskId}.${randomBytes(4).toString('hex')}.partial`);
  }

  /**
   * Makes {uuid}.glb, the model for the web (meshopt geometry, WebP textures), from the engine's
   * {uuid}.source.glb, written under a temporary name that is neither servable nor *.glb, then
   * renamed, so a partial file is never served or swept.
   *
   * A source that fails glTF-Validator rejects (the task fails: 500 Internal error, logged with
   * the validator's errors). A valid source that cannot be optimised is published unchanged,
   * with a warning: the user still gets a correct model, only a larger one, instead of a failed
   * job for a problem in an optional step.
   */
  async publishWebModel(taskId: string): Promise<void> {
    const temporary = this.temporaryPath(taskId);
    try {
      try {
        const stats = await this.optimizer.optimise(this.sourcePath(taskId), temporary);
        this.logger.log(
          `optimised task=${taskId} ${stats.sourceBytes} -> ${stats.webBytes} bytes in ` +
            `${stats.seconds.toFixed(2)} s (${stats.textures} WebP texture(s))`,
        );
        for (const note of stats.notes) this.logger.debug(`optimise task=${taskId}: ${note}`);
      } catch (error) {
        if (!(error instanceof GlbOptimisationError)) throw error;
        this.logger.warn(
          `optimisation failed task=${taskId}: ${error.message}; publishing the source unchanged`,
        );
        await rm(temporary, { force: true });
        await copyFile(this.sourcePath(taskId), temporary);
      }
      await rename(temporary, this.webPath(taskId));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Restarts the retention of a kept model (an instant repeat reuses it): its files, named by
   * their /static/ paths, get the current modification time, which the cleanup cron reads.
   * Resolves false when any of them is gone (swept, or never made), true otherwise.
   */
  async keepModels(staticPaths: string[]): Promise<boolean> {
    const now = new Date();
    try {
      for (const path of staticPaths) await utimes(join(this.config.staticDir, basename(path)), now, now);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Removes a task's model files (a task cancelled or failed after the engine wrote them), and the
   * sidecar's temporary ".{name}.{pid}.{hex}.tmp" for it, which a killed sidecar leaves behind and
   * the cleanup cron (".glb" only) would never sweep; likewise a web model's ".{uuid}.{hex}.partial"
   * left by an api killed while optimising.
   */
  async removeModels(taskId: string): Promise<void> {
    const leftoverPrefix = `.${sourceModelName(taskId)}.`;
    const leftovers = (await readdir(this.config.staticDir).catch(() => [] as string[])).filter(
      (name) =>
        (name.startsWith(leftoverPrefix) && name.endsWith('.tmp')) ||
        (name.startsWith(`.${taskId}.`) && name.endsWith('.partial')),
    );
    await Promise.all([
      rm(this.sourcePath(taskId), { force: true }),
      rm(this.webPath(taskId), { force: true }),
      ...leftovers.map((name) => rm(join(this.config.staticDir, name), { force: true })),
    ]);
  }
}
