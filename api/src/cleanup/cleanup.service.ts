import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ModelStore } from '../storage/model-store';
import { selectExpired } from './model-files';
import { modelIdOfFile } from '../storage/model-formats';
import { errorMessage } from '../common/error-message';
import { FormatBuildsService } from '../formats/format-builds.service';
import { TaskLifecycle } from '../tasks/lifecycle/task-lifecycle.service';

const JOB_NAME = 'model-cleanup';

/** What one cleanup pass deleted. */
export interface CleanupOutcome {
  /** Files deleted (models and their other formats). */
  deleted: number;
  /** Their bytes, as the store's listing gave them. */
  bytes: number;
  names: string[];
  /** Completed tasks forgotten because their model was among the files deleted (TaskLifecycle.forgetModels). */
  tasks: number;
}

/**
 * Deletes the store's *.glb models older than RETENTION_HOURS (a file's modification time, an
 * object's LastModified) on CLEANUP_CRON, and with them their files in other formats
 * (model-files.ts selectExpired), nothing else: not other files, not folders
 * (STATIC_DIR/.work and the like). Then the tasks naming a deleted model are forgotten by their
 * owner (TaskLifecycle.forgetModels: records, previews, repeat keys) and the models' records of
 * formats by theirs (FormatBuildsService.forget), so nothing reads `completed` or `ready` of a
 * deleted file, whatever RETENTION_HOURS was when a task completed. Works alike for a folder and
 * a bucket, in any one api process (task records are in the shared Redis). With a bucket, a
 * lifecycle rule can delete models on the store's side (docs/scale-out.md); both may run, but
 * the tasks of what the rule deletes are not forgotten before their TTL.
 */
@Injectable()
export class CleanupService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CleanupService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ModelStore,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly lifecycle: TaskLifecycle,
    private readonly formats: FormatBuildsService,
  ) {}

  onModuleInit(): void {
    const job = CronJob.from({
      cronTime: this.config.cleanupCron,
      onTick: () => void this.runOnce(),
      start: true,
    });
    this.scheduler.addCronJob(JOB_NAME, job);
    this.logger.log(
      `model cleanup scheduled "${this.config.cleanupCron}", retention ${this.config.retentionHours} h`,
    );
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('cron', JOB_NAME)) this.scheduler.deleteCronJob(JOB_NAME);
  }

  /** Returns the names it deleted. */
  async runOnce(): Promise<string[]> {
    return (await this.sweep()).names;
  }

  /**
   * One cleanup pass (runOnce), answering what it deleted: files and bytes (POST
   * /api/admin/cleanup), and how many tasks it forgot with their models. A failed listing is
   * logged and deletes nothing; a failure to forget (Redis) is logged, and those tasks then
   * last until their TTL; never throws.
   */
  async sweep(): Promise<CleanupOutcome> {
    const cutoff = this.clock.now() - this.config.retentionHours * 3600 * 1000;
    const deleted: string[] = [];
    let bytes = 0;
    try {
      const entries = [];
      for await (const entry of this.store.list()) entries.push(entry);
      const sizes = new Map(entries.map((entry) => [entry.name, entry.size]));
      for (const name of selectExpired(entries, cutoff)) {
        try {
          await this.store.remove([name]);
          deleted.push(name);
          bytes += sizes.get(name) ?? 0;
        } catch (error) {
          this.logger.warn(`could not delete ${name}: ${errorMessage(error)}`);
        }
      }
      // Files, not models: a model's other formats go with it, however new they are.
      const models = new Set(deleted.map(modelIdOfFile)).size;
      this.logger.log(
        `model cleanup: ${models} model(s) older than ${this.config.retentionHours} h deleted, ` +
          `${deleted.length} file(s) with their other formats`,
      );
    } catch (error) {
      this.logger.error('model cleanup failed', error instanceof Error ? error.stack : String(error));
    }
    return { deleted: deleted.length, bytes, names: deleted, tasks: await this.forget(deleted) };
  }

  /**
   * After the files `deleted` (names) are gone: the tasks and records of formats naming their
   * models go too (a format file is deleted only when its model has no young GLB left, so every
   * model named here is gone). Returns how many tasks were forgotten; never throws.
   */
  private async forget(deleted: readonly string[]): Promise<number> {
    const modelIds = [...new Set(deleted.map(modelIdOfFile).filter((id) => id !== undefined))];
    if (modelIds.length === 0) return 0;
    try {
      const tasks = await this.lifecycle.forgetModels(modelIds);
      await this.formats.forget(modelIds);
      return tasks.length;
    } catch (error) {
      this.logger.error(
        `model cleanup: the tasks of ${modelIds.length} deleted model(s) could not be forgotten ` +
          `(they last until their TTL): ${errorMessage(error)}`,
      );
      return 0;
    }
  }

  /** RETENTION_HOURS: how old a model gets before the cleanup deletes it. */
  get retentionHours(): number {
    return this.config.retentionHours;
  }

  /** When the cron runs the cleanup next (CLEANUP_CRON, local time), or null when it is not scheduled. */
  nextRunAt(): Date | null {
    if (!this.scheduler.doesExist('cron', JOB_NAME)) return null;
    return this.scheduler.getCronJob(JOB_NAME).nextDate().toJSDate();
  }
}
