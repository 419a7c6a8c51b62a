import { statfs } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { modelIdOfFile } from '../storage/model-formats';
import { ModelStore } from '../storage/model-store';

/** How long one measurement of the store is reused (ms): a listing walks every file or object. */
export const STORE_USAGE_TTL_MS = 30_000;

/** What the model store holds (models' files only), and, for a folder, how full its filesystem is. */
export interface StoreUsageFigures {
  kind: 'local' | 's3';
  files: number;
  bytes: number;
  /** A folder store (STATIC_DIR): the filesystem's bytes free to this process and in all; null for a bucket. */
  disk_free_bytes: number | null;
  disk_total_bytes: number | null;
  measured_at: string;
}

/**
 * The model store's usage for the ops console: files and bytes from one listing
 * (ModelStore.list()), and for a folder its filesystem's free and total bytes (fs.statfs of
 * STATIC_DIR: blocks available to an unprivileged user x block size). Measured at most every
 * STORE_USAGE_TTL_MS however often the console polls; concurrent readers share one measurement.
 */
@Injectable()
export class StoreUsage {
  private cached: { at: number; figures: Promise<StoreUsageFigures> } | undefined;

  constructor(
    private readonly store: ModelStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The latest figures (measured now when older than STORE_USAGE_TTL_MS). Rejects when the store cannot be listed. */
  async figures(): Promise<StoreUsageFigures> {
    const now = this.clock.now();
    if (this.cached === undefined || now - this.cached.at >= STORE_USAGE_TTL_MS) {
      const figures = this.measure(now);
      this.cached = { at: now, figures };
      // A failed measurement is not kept: the next call tries again.
      figures.catch(() => {
        if (this.cached?.figures === figures) this.cached = undefined;
      });
    }
    return this.cached.figures;
  }

  /** Forgets the cached figures (after a cleanup deleted files). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async measure(now: number): Promise<StoreUsageFigures> {
    let files = 0;
    let bytes = 0;
    for await (const entry of this.store.list()) {
      // A model's files only (its GLBs and other formats), not markers or partial files.
      if (modelIdOfFile(entry.name) === undefined) continue;
      files += 1;
      bytes += entry.size;
    }
    const kind = this.config.storage.kind;
    let disk: { free: number; total: number } | null = null;
    if (kind === 'local') {
      const stats = await statfs(this.config.staticDir);
      disk = { free: stats.bavail * stats.bsize, total: stats.blocks * stats.bsize };
    }
    return {
      kind,
      files,
      bytes,
      disk_free_bytes: disk?.free ?? null,
      disk_total_bytes: disk?.total ?? null,
      measured_at: new Date(now).toISOString(),
    };
  }
}
