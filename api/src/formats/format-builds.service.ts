import { rm } from 'node:fs/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import pLimit from 'p-limit';
import { ApiError } from '../common/api-error';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { type FormatVariant, formatFileName, variantKey } from '../storage/model-formats';
import { type ModelInfo, ModelStore } from '../storage/model-store';
import { StorageService } from '../storage/storage.service';
import { StoreDiskSpace } from '../storage/store-disk-space';
import { type ConvertedFile, FormatConverter } from './format-converter';
import { errorMessage } from '../common/error-message';

/** What a model's record of formats says of one variant (JSON in RedisKeys.modelFormats). */
export type FormatRecord =
  { state: 'ready'; at: number; file: ConvertedFile } | { state: 'failed'; at: number; error: string };

/** The outcome of asking for a variant: its file is in the store, or still being made. */
export type FormatOutcome =
  | { kind: 'ready'; name: string; file: ConvertedFile; info: ModelInfo }
  | { kind: 'building'; retryAfterS: number };

/** A failed format is tried again after this long (the tool or the machine may have been at fault). */
export const FAILED_FORMAT_RETRY_MS = 10 * 60 * 1000;
/**
 * Sizes in millimetres of one printing format kept per model; making another removes the one made
 * longest ago. A painted model's own size (OWN_SIZE) is not one of them: one file per format and
 * model, which no request can multiply.
 */
export const SIZES_KEPT_PER_FORMAT = 4;
/** Records of formats deleted per DEL (forget). */
const FORGET_BATCH = 500;
/** How often a download waiting on another process's build looks at the record. */
const POLL_MS = 250;
/** Retry-After of a download answered 202 (the file is still being made). */
const BUILDING_RETRY_AFTER_S = 5;
/** Retry-After of 503 formats_busy. */
const BUSY_RETRY_AFTER_S = 10;

/**
 * Makes each model's files in other formats once, on first request (docs/design.md, Formats), and
 * keeps them in the ModelStore beside the model. One owner per variant across every api process:
 * the process that takes RedisKeys.formatBuild (SET NX) makes it; every other request for it, on
 * any process, waits on the model's record of formats (RedisKeys.modelFormats) up to FORMAT_WAIT_S,
 * then answers 202. Each process runs at most FORMAT_BUILDS conversions at once (p-limit), each a
 * process of its own (FormatConverter), and holds at most FORMAT_QUEUE more: beyond them 503.
 */
@Injectable()
export class FormatBuildsService {
  private readonly logger = new Logger(FormatBuildsService.name);
  private readonly limit: ReturnType<typeof pLimit>;
  /** Builds this process holds (running or waiting for a slot), counted as they are claimed. */
  private claimed = 0;
  /** Builds this process holds by the client (limit key) whose request claimed them. */
  private readonly claimedBy = new Map<string, number>();
  /** Builds this process runs, by "{modelId}:{variant}", so its own waiters need not poll. */
  private readonly local = new Map<string, Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly store: ModelStore,
    private readonly storage: StorageService,
    private readonly converter: FormatConverter,
    private readonly clock: Clock,
    private readonly disk: StoreDiskSpace,
  ) {
    this.limit = pLimit(config.formatBuilds);
  }

  /** Every variant's record of a model (for GET /api/models/{id}/formats), by variant key. */
  async records(modelId: string): Promise<Map<string, FormatRecord>> {
    const raw = await this.redis.client.hgetall(RedisKeys.modelFormats(modelId));
    return new Map(Object.entries(raw).map(([key, json]) => [key, JSON.parse(json) as FormatRecord]));
  }

  /**
   * The cleanup deleted the files of models `modelIds` (model ids, UUID v4): their records of
   * formats go, so none says `ready` of a file no longer in the store (obtain() would find it
   * missing and make it again; the list route answers 404 for a model without its source anyway).
   * A build running meanwhile may write its record after this; it lapses with RETENTION_HOURS.
   * Throws on a Redis error.
   */
  async forget(modelIds: readonly string[]): Promise<void> {
    // DEL takes any number of keys; a bounded batch keeps each command short.
    for (let i = 0; i < modelIds.length; i += FORGET_BATCH) {
      const keys = modelIds.slice(i, i + FORGET_BATCH).map((id) => RedisKeys.modelFormats(id));
      await this.redis.client.del(...keys);
    }
  }

  /** Whether a process is making this variant now. */
  async isBuilding(modelId: string, variant: FormatVariant): Promise<boolean> {
    return (await this.redis.client.exists(RedisKeys.formatBuild(modelId, variantKey(variant)))) === 1;
  }

  /**
   * The variant's file, made now if it is not in the store: waits up to FORMAT_WAIT_S for it.
   * Throws ApiError format_failed (a build failed within FAILED_FORMAT_RETRY_MS) or formats_busy
   * (this process holds FORMAT_QUEUE waiting builds) or too_many_requests (`client`, a limit key,
   * holds its share: clientShare()) or insufficient_storage (a build would start while the model
   * folder's disk is under MIN_FREE_DISK_MB: StoreDiskSpace). The caller has checked the source exists.
   */
  async obtain(modelId: string, variant: FormatVariant, client: string): Promise<FormatOutcome> {
    const key = variantKey(variant);
    const name = formatFileName(modelId, variant);
    const deadline = this.clock.now() + this.config.formatWaitMs;
    for (;;) {
      const record = await this.record(modelId, key);
      if (record?.state === 'ready') {
        const info = await this.store.stat(name);
        if (info) return { kind: 'ready', name, file: record.file, info };
        // Swept by the cleanup while its record lived on: made again below.
        await this.redis.client.hdel(RedisKeys.modelFormats(modelId), key);
      } else if (record?.state === 'failed' && this.clock.now() - record.at < FAILED_FORMAT_RETRY_MS) {
        throw new ApiError('format_failed', { params: { format: variant.format } });
      }
      // A build that ended since the record was read leaves it written: look again at once.
      if (await this.claim(modelId, variant, client)) continue;
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return { kind: 'building', retryAfterS: BUILDING_RETRY_AFTER_S };
      const own = this.local.get(`${modelId}:${key}`);
      // Our own build: wake when it ends (the timer is cancelled then, not left to hold the loop).
      const woken = new AbortController();
      void own?.finally(() => woken.abort());
      await this.clock.sleep(own ? remaining : Math.min(POLL_MS, remaining), woken.signal);
    }
  }

  private async record(modelId: string, key: string): Promise<FormatRecord | undefined> {
    const json = await this.redis.client.hget(RedisKeys.modelFormats(modelId), key);
    return json === null ? undefined : (JSON.parse(json) as FormatRecord);
  }

  /**
   * Builds one client may hold in this process at once: half of FORMAT_BUILDS + FORMAT_QUEUE (at
   * least one), so one address asking for size after size can never take every place (as the
   * GPU queue's ACTIVE_TASKS_PER_CLIENT).
   */
  clientShare(): number {
    return Math.max(1, Math.floor((this.config.formatBuilds + this.config.formatQueue) / 2));
  }

  /**
   * Starts the build here when no process holds it; refuses when the model folder's disk is under
   * MIN_FREE_DISK_MB (insufficient_storage: the file would not fit, or would take the last room of
   * the logs and Redis), this process is full (formats_busy) or the client holds its share
   * (too_many_requests). Answers true when the hold was free but the variant's record is there now
   * (a build ended between the caller's read of the record and this claim), so the caller reads it
   * again instead of waiting.
   */
  private async claim(modelId: string, variant: FormatVariant, client: string): Promise<boolean> {
    const key = variantKey(variant);
    const lockKey = RedisKeys.formatBuild(modelId, key);
    if (this.local.has(`${modelId}:${key}`)) return false;
    // Before the counts below (their check and their increment must not be split by an await).
    if (await this.disk.isLow()) {
      // Another process may be making it already: its file is as good, and writes nothing here.
      if ((await this.redis.client.exists(lockKey)) === 1) return false;
      throw new ApiError('insufficient_storage');
    }
    const full = this.claimed >= this.config.formatBuilds + this.config.formatQueue;
    const overShare = (this.claimedBy.get(client) ?? 0) >= this.clientShare();
    if (full || overShare) {
      // Another process may be making it already, which is as good.
      if ((await this.redis.client.exists(lockKey)) === 1) return false;
      const headers = { 'Retry-After': String(BUSY_RETRY_AFTER_S) };
      throw new ApiError(full ? 'formats_busy' : 'too_many_requests', { headers });
    }
    // Counted before the first await: concurrent requests must not all pass the checks above
    // (a burst of sizes in the security suite did, while the count was p-limit's, made after it).
    this.claimed += 1;
    this.claimedBy.set(client, (this.claimedBy.get(client) ?? 0) + 1);
    const unclaim = () => {
      this.claimed -= 1;
      const left = (this.claimedBy.get(client) ?? 1) - 1;
      if (left > 0) this.claimedBy.set(client, left);
      else this.claimedBy.delete(client);
    };
    // Held for as long as the build may take, waiting for a slot included; released when it ends.
    const holdMs = this.config.formatTimeoutMs * (2 + this.config.formatQueue) + 60_000;
    const token = `${process.pid}:${this.clock.now()}:${Math.random()}`;
    const held = await this.redis.client.set(lockKey, token, 'PX', holdMs, 'NX').catch((error: unknown) => {
      unclaim();
      throw error;
    });
    if (held !== 'OK') {
      unclaim();
      return false;
    }
    // Checked again under the hold: the build that wrote the record may have released the hold
    // between the caller's read and the SET NX (a waiter then made the same file twice, seen in
    // format-builds.test at load 10).
    if (await this.recordSettled(modelId, variant).catch(() => false)) {
      unclaim();
      await this.redis.client.eval(RELEASE_LUA, 1, lockKey, token).catch(() => undefined);
      return true;
    }
    const build = this.limit(() => this.build(modelId, variant))
      .catch((error: unknown) => {
        this.logger.error(`format ${key} of model ${modelId}: ${(error as Error).stack ?? String(error)}`);
      })
      .finally(() => {
        unclaim();
        this.local.delete(`${modelId}:${key}`);
        // Only our own hold: one that lapsed and was taken by another process stays its own.
        void this.redis.client.eval(RELEASE_LUA, 1, lockKey, token).catch(() => undefined);
      });
    this.local.set(`${modelId}:${key}`, build);
    return false;
  }

  /** Whether the variant's record answers a download now: ready with its file kept, or failed lately. */
  private async recordSettled(modelId: string, variant: FormatVariant): Promise<boolean> {
    const record = await this.record(modelId, variantKey(variant));
    if (record?.state === 'failed') return this.clock.now() - record.at < FAILED_FORMAT_RETRY_MS;
    return (
      record?.state === 'ready' && (await this.store.stat(formatFileName(modelId, variant))) !== undefined
    );
  }

  /** Makes the file, publishes it and records the outcome (ready or failed) for every waiter. */
  private async build(modelId: string, variant: FormatVariant): Promise<void> {
    const key = variantKey(variant);
    const target = this.storage.temporaryPath(modelId);
    let record: FormatRecord;
    try {
      const file = await this.storage.withLocalSource(modelId, (source) =>
        this.converter.convert(source, target, variant),
      );
      // Room first: a download answered from the record below must never find more sizes kept.
      if (typeof variant.sizeMm === 'number') await this.keepFewSizes(modelId, variant);
      await this.store.publish(target, formatFileName(modelId, variant));
      record = { state: 'ready', at: this.clock.now(), file };
      this.logger.log(
        `made ${key} of model ${modelId}: ${file.bytes} bytes, ${file.triangles} triangles, ` +
          `${file.watertight ? '' : 'not '}watertight, ${file.seconds.toFixed(2)} s`,
      );
    } catch (error) {
      const message = errorMessage(error);
      this.logger.warn(`could not make ${key} of model ${modelId}: ${message}`);
      record = { state: 'failed', at: this.clock.now(), error: message };
    } finally {
      await rm(target, { force: true });
    }
    const recordKey = RedisKeys.modelFormats(modelId);
    await this.redis.client
      .multi()
      .hset(recordKey, key, JSON.stringify(record))
      .pexpire(recordKey, Math.round(this.config.retentionHours * 3600 * 1000))
      .exec();
  }

  /**
   * Makes room for `variant` (a size in millimetres), about to be published: removes the sizes in
   * millimetres of its printing format made longest ago, files and records, beyond
   * SIZES_KEPT_PER_FORMAT - 1 others (what a stranger asking for size after size can grow stays
   * bounded). A painted model's own size is kept.
   */
  private async keepFewSizes(modelId: string, variant: FormatVariant): Promise<void> {
    const own = variantKey(variant);
    const sized = new RegExp(`^${variant.format}@\\d+$`);
    const sizes = [...(await this.records(modelId)).entries()]
      .filter(([key, record]) => sized.test(key) && key !== own && record.state === 'ready')
      .sort(([, a], [, b]) => b.at - a.at);
    for (const [key] of sizes.slice(SIZES_KEPT_PER_FORMAT - 1)) {
      const sizeMm = Number(key.slice(key.indexOf('@') + 1));
      await this.redis.client.hdel(RedisKeys.modelFormats(modelId), key);
      await this.store.remove([formatFileName(modelId, { format: variant.format, sizeMm })]);
    }
  }
}

/** Deletes the build hold only when it is still the caller's (compare-and-delete). */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
