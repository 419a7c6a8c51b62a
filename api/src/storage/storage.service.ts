import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { sourceModelName, webModelName } from './model-names';

/** Where models live under STATIC_DIR, and the steps that put them there whole. */
@Injectable()
export class StorageService implements OnModuleInit {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    await mkdir(this.config.staticDir, { recursive: true });
  }

  sourcePath(taskId: string): string {
    return join(this.config.staticDir, sourceModelName(taskId));
  }

  webPath(taskId: string): string {
    return join(this.config.staticDir, webModelName(taskId));
  }

  /**
   * Makes {uuid}.glb from the engine's {uuid}.source.glb. Until the optimisation stage exists
   * it is the same bytes; copied under a temporary name that is neither servable nor *.glb,
   * then renamed, so a partial file is never served or swept.
   */
  async publishWebModel(taskId: string): Promise<void> {
    const temporary = join(this.config.staticDir, `.${taskId}.${randomBytes(4).toString('hex')}.partial`);
    try {
      await copyFile(this.sourcePath(taskId), temporary);
      await rename(temporary, this.webPath(taskId));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Removes a task's model files (a task cancelled or failed after the engine wrote them), and the
   * sidecar's temporary ".{name}.{pid}.{hex}.tmp" for it, which a killed sidecar leaves behind and
   * the cleanup cron (".glb" only) would never sweep.
   */
  async removeModels(taskId: string): Promise<void> {
    const leftoverPrefix = `.${sourceModelName(taskId)}.`;
    const leftovers = (await readdir(this.config.staticDir).catch(() => [] as string[])).filter(
      (name) => name.startsWith(leftoverPrefix) && name.endsWith('.tmp'),
    );
    await Promise.all([
      rm(this.sourcePath(taskId), { force: true }),
      rm(this.webPath(taskId), { force: true }),
      ...leftovers.map((name) => rm(join(this.config.staticDir, name), { force: true })),
    ]);
  }
}
