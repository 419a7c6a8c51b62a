import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ReusedMeasurement } from '../common/reused-measurement';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { modelIdOfFile } from '../storage/model-formats';
import { ModelStore } from '../storage/model-store';
import { StoreDiskSpace } from '../storage/store-disk-space';

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
  /** MIN_FREE_DISK_MB in bytes (0 = no check); null for a bucket. */
  disk_min_free_bytes: number | null;
  /** Free bytes under MIN_FREE_DISK_MB: new uploads and format builds answer 507 insufficient_storage. */
  disk_low: boolean;
  /** When the files were counted (the disk's figures are at most DISK_SPACE_TTL_MS old). */
  measured_at: string;
}

/** What one listing of the store counted. */
type Listing = Pick<StoreUsageFigures, 'files' | 'bytes' | 'measured_at'>;

/**
 * The model store's usage for the ops console: files and bytes from one listing
 * (ModelStore.list()), measured at most every STORE_USAGE_TTL_MS however often the console polls
 * (concurrent readers share one listing), and for a folder its filesystem's free and total bytes
 * against MIN_FREE_DISK_MB, as the upload guard sees them (StoreDiskSpace: its one statfs, at most
 * DISK_SPACE_TTL_MS old, so a freed disk shows as soon as uploads are taken again).
 */
@Injectable()
export class StoreUsage {
  private readonly listed: ReusedMeasurement<Listing>;

  constructor(
    private readonly store: ModelStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    clock: Clock,
    private readonly disk: StoreDiskSpace,
  ) {
    // A failed listing is not kept: the next call tries again.
    this.listed = new ReusedMeasurement<Listing>(STORE_USAGE_TTL_MS, clock, true);
  }

  /**
   * The latest figures (the files counted again when older than STORE_USAGE_TTL_MS). Rejects when
   * the store cannot be listed or the folder's filesystem cannot be measured.
   */
  async figures(): Promise<StoreUsageFigures> {
    const [listing, disk] = await Promise.all([this.listing(), this.disk.figures()]);
    return {
      kind: this.config.storage.kind,
      files: listing.files,
      bytes: listing.bytes,
      disk_free_bytes: disk?.freeBytes ?? null,
      disk_total_bytes: disk?.totalBytes ?? null,
      disk_min_free_bytes: disk?.minFreeBytes ?? null,
      disk_low: disk?.low ?? false,
      measured_at: listing.measured_at,
    };
  }

  private listing(): Promise<Listing> {
    return this.listed.get((now) => this.count(now));
  }

  /** Forgets the cached figures (after a cleanup deleted files). */
  invalidate(): void {
    this.listed.forget();
  }

  private async count(now: number): Promise<Listing> {
    let files = 0;
    let bytes = 0;
    for await (const entry of this.store.list()) {
      // A model's files only (its GLBs and other formats), not markers or partial files.
      if (modelIdOfFile(entry.name) === undefined) continue;
      files += 1;
      bytes += entry.size;
    }
    return { files, bytes, measured_at: new Date(now).toISOString() };
  }
}
