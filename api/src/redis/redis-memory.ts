import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ReusedMeasurement } from '../common/reused-measurement';
import { errorMessage } from '../common/error-message';
import { RedisService } from './redis.service';

/**
 * Share of Redis's `maxmemory` past which new tasks are refused (507 store_full): the rest is
 * headroom for the tasks already admitted, whose progress, results and events must still be
 * written (a task that cannot write its completion is lost), and for the texturing jobs'
 * canonical meshes already queued.
 */
export const STORE_FULL_SHARE = 0.9;

/** How long one `INFO memory` answer is reused (ms): one round trip per this however many uploads ask. */
export const STORE_MEMORY_TTL_MS = 5_000;

/** Redis's memory as its `INFO memory` section reports it. */
export interface StoreMemoryFigures {
  /** `used_memory`: bytes Redis's allocator holds for data and overhead. */
  usedBytes: number;
  /** `maxmemory`: the server's limit in bytes; 0 = none (the host's memory is the only bound). */
  maxBytes: number;
  /** usedBytes is at or past STORE_FULL_SHARE of maxBytes (storeIsFull). */
  full: boolean;
}

/**
 * The `used_memory` and `maxmemory` fields of an `INFO memory` reply (lines `name:value`, CRLF;
 * https://redis.io/docs/latest/commands/info/), in bytes. Throws when either is missing (a
 * server or proxy that hides them): the caller then treats the store as not full.
 */
export function parseMemoryInfo(info: string): { usedBytes: number; maxBytes: number } {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info);
    if (match === null) throw new Error(`INFO memory has no ${name}`);
    return Number(match[1]);
  };
  return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
}

/**
 * Whether a Redis holding `usedBytes` of a `maxBytes` limit (bytes) should take no new task: at
 * or past STORE_FULL_SHARE of it. A server without a limit (0) is never full here.
 */
export function storeIsFull(usedBytes: number, maxBytes: number): boolean {
  return maxBytes > 0 && usedBytes >= maxBytes * STORE_FULL_SHARE;
}

/**
 * The task store's memory and the admission guard on it. Redis holds every task record, its
 * events and the queue; with `maxmemory` set (docker-compose.yml, the Redis `npm start` runs) and
 * Bull's required policy `noeviction`, a full Redis refuses every write ("OOM command not
 * allowed"), so running tasks could no longer complete. New uploads are refused first, at
 * STORE_FULL_SHARE (TaskLifecycle.refuseIfClosed); a write Redis refuses anyway answers 507
 * store_full too (the exception filter). Measured at most every STORE_MEMORY_TTL_MS; concurrent
 * callers share one INFO; each change between full and not full is logged once.
 */
@Injectable()
export class RedisMemory {
  private readonly logger = new Logger('StoreMemory');
  private readonly measured: ReusedMeasurement<StoreMemoryFigures | undefined>;
  private full = false;

  constructor(
    private readonly redis: RedisService,
    clock: Clock,
  ) {
    // measure() never rejects: an unknown figure is kept for the TTL like a known one.
    this.measured = new ReusedMeasurement<StoreMemoryFigures | undefined>(STORE_MEMORY_TTL_MS, clock, false);
  }

  /**
   * The latest figures (asked of Redis when older than STORE_MEMORY_TTL_MS); undefined when Redis
   * did not answer or hides the fields: unknown is not full (a Redis away answers 503
   * store_unavailable on its own).
   */
  async figures(): Promise<StoreMemoryFigures | undefined> {
    return this.measured.get(() => this.measure());
  }

  /** Whether new tasks are to be refused now (figures().full; false when unknown). */
  async isFull(): Promise<boolean> {
    return (await this.figures())?.full ?? false;
  }

  private async measure(): Promise<StoreMemoryFigures | undefined> {
    let figures: StoreMemoryFigures;
    try {
      const { usedBytes, maxBytes } = parseMemoryInfo(await this.redis.client.info('memory'));
      figures = { usedBytes, maxBytes, full: storeIsFull(usedBytes, maxBytes) };
    } catch (error) {
      this.logger.debug(`INFO memory not read: ${errorMessage(error)}`);
      return undefined;
    }
    if (figures.full !== this.full) {
      this.full = figures.full;
      const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
      const line = `Redis holds ${mb(figures.usedBytes)} of its maxmemory ${mb(figures.maxBytes)}`;
      if (figures.full) this.logger.warn(`${line}: new tasks are refused (507 store_full)`);
      else this.logger.log(`${line}: new tasks are taken again`);
    }
    return figures;
  }
}
