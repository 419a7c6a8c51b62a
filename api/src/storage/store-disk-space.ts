import { statfs } from 'node:fs/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { Clock } from '../common/clock';
import { ReusedMeasurement } from '../common/reused-measurement';
import { errorMessage } from '../common/error-message';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/**
 * How long one measurement of the model folder's filesystem is reused (ms): one statfs per this
 * however many uploads, downloads and health polls ask, and a freed disk is seen within it.
 */
export const DISK_SPACE_TTL_MS = 5_000;

/** The model folder's filesystem, as one statfs saw it. */
export interface DiskSpaceFigures {
  /** Bytes free to this process (blocks available to an unprivileged user x block size). */
  freeBytes: number;
  /** The filesystem's size, bytes. */
  totalBytes: number;
  /** MIN_FREE_DISK_MB in bytes: the floor under which new work is refused; 0 = no check. */
  minFreeBytes: number;
  /** freeBytes is under minFreeBytes (diskIsLow). */
  low: boolean;
  /** When it was measured (ms since the epoch, by the Clock). */
  measuredAt: number;
}

/** What statfs says that the figures need (node's StatsFs, in blocks). */
export interface FilesystemBlocks {
  /** Blocks free to an unprivileged user. */
  bavail: number;
  /** Blocks in all. */
  blocks: number;
  /** Bytes per block. */
  bsize: number;
}

/**
 * Whether a filesystem with `freeBytes` free (bytes) is under the owner's floor `minFreeBytes`
 * (bytes; MIN_FREE_DISK_MB): strictly under it; a floor of 0 is no check, never low.
 */
export function diskIsLow(freeBytes: number, minFreeBytes: number): boolean {
  return minFreeBytes > 0 && freeBytes < minFreeBytes;
}

/** How the last measurement went, for the log's one line per change. */
type DiskState = 'ok' | 'low' | 'unknown';

/**
 * The free space of the model folder's filesystem (STATIC_DIR, where a folder store writes every
 * model, web copy, level of detail, preview of a format and format file: docs/design.md,
 * Operations: Storage), and the admission guard on it: below MIN_FREE_DISK_MB free, new uploads
 * and format builds are refused 507 insufficient_storage before anything is written, rather than
 * failing half-written (ENOSPC) and starving the logs and Redis on the same disk. The one owner of
 * that statfs: the ops console's figures (StoreUsage) read it here too.
 *
 * A bucket store (STORAGE_URL s3://) has no such figure: figures() is undefined and nothing is
 * refused. MODELS_DIR (the engine's weights) is only read at run time, so it is not measured.
 * Measured at most every DISK_SPACE_TTL_MS; concurrent callers share one statfs, a failed one too
 * (so a broken folder cannot make every request log). Each change of state (ok, low, unknown) is
 * logged once.
 */
@Injectable()
export class StoreDiskSpace {
  private readonly logger = new Logger('DiskSpace');
  // A failed statfs is kept for the TTL too: a broken folder is not asked on every request.
  private readonly measured: ReusedMeasurement<DiskSpaceFigures>;
  private state: DiskState = 'ok';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    clock: Clock,
  ) {
    this.measured = new ReusedMeasurement<DiskSpaceFigures>(DISK_SPACE_TTL_MS, clock, false);
  }

  /** The folder measured: STATIC_DIR for a folder store; undefined for a bucket. */
  get folder(): string | undefined {
    return this.config.storage.kind === 'local' ? this.config.staticDir : undefined;
  }

  /** MIN_FREE_DISK_MB in bytes (0 = no check). */
  get minFreeBytes(): number {
    return this.config.minFreeDiskBytes;
  }

  /**
   * The latest figures (measured now when older than DISK_SPACE_TTL_MS), or undefined for a bucket
   * store. Rejects with statfs's error (the folder gone, a dead network mount) for the same TTL.
   */
  async figures(): Promise<DiskSpaceFigures | undefined> {
    const folder = this.folder;
    if (folder === undefined) return undefined;
    return this.measured.get((now) => this.measure(folder, now));
  }

  /**
   * Whether new work must be refused now: the folder's free bytes are under MIN_FREE_DISK_MB.
   * False for a bucket, with no check (0), and when statfs failed (logged once: a request is not
   * refused for a figure nobody has; what it writes may still fail then).
   */
  async isLow(): Promise<boolean> {
    if (this.minFreeBytes === 0) return false;
    try {
      return (await this.figures())?.low ?? false;
    } catch {
      return false;
    }
  }

  /**
   * Throws ApiError 507 insufficient_storage while isLow(): an upload before its picture is decoded
   * and before a queue slot, a format build before it is claimed.
   */
  async refuseIfLow(): Promise<void> {
    if (await this.isLow()) throw new ApiError('insufficient_storage');
  }

  /** statfs of `folder` (a seam for specs: a filesystem of any size without making one). */
  protected statfs(folder: string): Promise<FilesystemBlocks> {
    return statfs(folder);
  }

  private async measure(folder: string, now: number): Promise<DiskSpaceFigures> {
    let stats: FilesystemBlocks;
    try {
      stats = await this.statfs(folder);
    } catch (error) {
      this.changeState(
        'unknown',
        `the model folder ${folder} (STATIC_DIR) could not be measured: ${errorMessage(error)}; uploads are not refused for its space meanwhile`,
      );
      throw error;
    }
    const freeBytes = stats.bavail * stats.bsize;
    const minFreeBytes = this.minFreeBytes;
    const low = diskIsLow(freeBytes, minFreeBytes);
    const free = `${mebibytes(freeBytes)} MB free of ${mebibytes(stats.blocks * stats.bsize)} MB`;
    this.changeState(
      low ? 'low' : 'ok',
      low
        ? `the model folder's disk (${folder}) has ${free}, under MIN_FREE_DISK_MB (${mebibytes(minFreeBytes)}): ` +
            'new uploads and format builds answer 507 insufficient_storage until space is freed ' +
            '(the cleanup, a shorter RETENTION_HOURS, or other files on that disk)'
        : `the model folder's disk (${folder}) has ${free}: uploads and format builds are taken again`,
    );
    return { freeBytes, totalBytes: stats.blocks * stats.bsize, minFreeBytes, low, measuredAt: now };
  }

  /** Logs `line` when the state changes (the first `ok` of a start says nothing). */
  private changeState(next: DiskState, line: string): void {
    if (next === this.state) return;
    this.state = next;
    if (next === 'ok') this.logger.log(line);
    else this.logger.warn(line);
  }
}

/** Bytes as mebibytes, one decimal (the unit MIN_FREE_DISK_MB is set in). */
function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
