import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ApiError } from '../../src/common/api-error';
import { Clock } from '../../src/common/clock';
import { type AppConfig, loadConfig } from '../../src/config/app-config';
import { FormatBuildsService, SIZES_KEPT_PER_FORMAT } from '../../src/formats/format-builds.service';
import {
  type ConvertedFile,
  FormatConversionError,
  FormatConverter,
} from '../../src/formats/format-converter';
import { GlbOptimizer } from '../../src/glb/glb-optimizer';
import { RedisKeys } from '../../src/redis/redis-keys';
import { RedisService } from '../../src/redis/redis.service';
import { LocalModelStore } from '../../src/storage/local-model-store';
import { type FormatVariant, formatFileName } from '../../src/storage/model-formats';
import { sourceModelName } from '../../src/storage/model-names';
import { StorageService } from '../../src/storage/storage.service';
import { StoreDiskSpace } from '../../src/storage/store-disk-space';
import { TEST_REDIS_URL, clearKilnKeys, sleep, tempDir, waitFor } from '../support/env';

/**
 * A converter of the FormatConverter seam that writes a small file after `delayMs`, counting its
 * calls (all processes of a test share one count), or fails when told to.
 */
class CountingConverter extends FormatConverter {
  readonly calls: string[] = [];
  constructor(
    private readonly delayMs: number,
    private readonly fail = false,
  ) {
    super();
  }

  async convert(sourcePath: string, targetPath: string, variant: FormatVariant): Promise<ConvertedFile> {
    this.calls.push(`${variant.format}@${variant.sizeMm ?? ''}`);
    assert.ok(existsSync(sourcePath), 'the source is handed over as a local file');
    await sleep(this.delayMs);
    if (this.fail) throw new FormatConversionError('the formats tool failed (exit 1): boom');
    await writeFile(targetPath, `${variant.format} of ${readFileSync(sourcePath, 'utf8')}`);
    return { bytes: 10, triangles: 12, watertight: true, seconds: this.delayMs / 1000 };
  }
}

/** The real local store, whose removals take `delayMs` longer (a slow disk or object store). */
class SlowRemoveStore extends LocalModelStore {
  constructor(
    dir: string,
    private readonly delayMs: number,
  ) {
    super(dir);
  }

  override async remove(names: readonly string[]): Promise<void> {
    await sleep(this.delayMs);
    await super.remove(names);
  }
}

/** Never called: the api processes of these tests make no web model. */
class NoOptimizer extends GlbOptimizer {
  optimise(): never {
    throw new Error('not used');
  }
}

/**
 * FormatBuildsService on the test Redis and a real model folder: several "processes" (one service,
 * Redis connection and store each, over one folder, as api processes on one machine share
 * STATIC_DIR) asked for the same files at once.
 */
void describe('format builds (real Redis, a shared model folder)', () => {
  const dir = tempDir('format-builds');
  const staticDir = join(dir.path, 'static');
  const modelId = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
  const redisServices: RedisService[] = [];

  function process(
    converter: FormatConverter,
    env: Record<string, string> = {},
    store = new LocalModelStore(staticDir),
  ): FormatBuildsService {
    const config: AppConfig = loadConfig(
      { REDIS_URL: TEST_REDIS_URL, STATIC_DIR: staticDir, ...env },
      dir.path,
    );
    const redis = new RedisService(config);
    redisServices.push(redis);
    return new FormatBuildsService(
      config,
      redis,
      store,
      new StorageService(store, new NoOptimizer()),
      converter,
      new Clock(),
      new StoreDiskSpace(config, new Clock()),
    );
  }

  before(async () => {
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(join(staticDir, sourceModelName(modelId)), 'glb bytes');
    await clearKilnKeys();
  });
  afterEach(() => clearKilnKeys());
  after(async () => {
    for (const redis of redisServices) await redis.onApplicationShutdown();
    await clearKilnKeys();
    dir.remove();
  });

  void it('makes a file once for any number of concurrent requests on several processes', async () => {
    const converter = new CountingConverter(400);
    const [a, b, c] = [process(converter), process(converter), process(converter)];
    const variant: FormatVariant = { format: 'stl', sizeMm: 100 };
    const outcomes = await Promise.all(
      [a, b, c, a, b, c, a].map((service) => service.obtain(modelId, variant, 'test-client')),
    );
    assert.deepEqual(converter.calls, ['stl@100']);
    for (const outcome of outcomes) {
      assert.equal(outcome.kind, 'ready');
      assert.equal(outcome.kind === 'ready' && outcome.name, formatFileName(modelId, variant));
    }
    assert.equal(readFileSync(join(staticDir, `${modelId}.100mm.stl`), 'utf8'), 'stl of glb bytes');
    // Asked again later: served from the store, not made again.
    assert.equal((await b.obtain(modelId, variant, 'test-client')).kind, 'ready');
    assert.deepEqual(converter.calls, ['stl@100']);
    // Nothing left in the work folder but the model's files.
    assert.deepEqual(
      readdirSync(staticDir).filter((name) => name.includes('.partial')),
      [],
    );
  });

  void it('answers "building" after FORMAT_WAIT_S, and the build goes on to the end', async () => {
    const converter = new CountingConverter(1500);
    const service = process(converter, { FORMAT_WAIT_S: '0.2' });
    const variant: FormatVariant = { format: 'usdz', sizeMm: undefined };
    const first = await service.obtain(modelId, variant, 'test-client');
    assert.equal(first.kind, 'building');
    assert.equal(first.kind === 'building' && first.retryAfterS, 5);
    assert.equal(await service.isBuilding(modelId, variant), true);
    await sleep(1700);
    assert.equal((await service.obtain(modelId, variant, 'test-client')).kind, 'ready');
    assert.deepEqual(converter.calls, ['usdz@']);
    assert.equal(await service.isBuilding(modelId, variant), false);
  });

  void it('records a failure for every waiter (format_failed), leaving nothing behind', async () => {
    const converter = new CountingConverter(100, true);
    const [a, b] = [process(converter), process(converter)];
    const variant: FormatVariant = { format: 'ply', sizeMm: undefined };
    const results = await Promise.allSettled([
      a.obtain(modelId, variant, 'test-client'),
      b.obtain(modelId, variant, 'test-client'),
    ]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const error = result.reason as ApiError;
      assert.equal(error.code, 'format_failed');
      assert.equal(error.status, 500);
      assert.equal(error.message, 'The ply file could not be made');
    }
    // Not tried again at once (FAILED_FORMAT_RETRY_MS).
    await assert.rejects(a.obtain(modelId, variant, 'test-client'), { code: 'format_failed' });
    assert.deepEqual(converter.calls, ['ply@']);
    assert.equal(existsSync(join(staticDir, `${modelId}.ply`)), false);
    assert.deepEqual(
      readdirSync(staticDir).filter((name) => name.includes('.partial')),
      [],
    );
  });

  void it('refuses (formats_busy, Retry-After) beyond FORMAT_BUILDS + FORMAT_QUEUE on one process', async () => {
    const converter = new CountingConverter(600);
    const service = process(converter, { FORMAT_BUILDS: '1', FORMAT_QUEUE: '1', FORMAT_WAIT_S: '0' });
    // Three clients, each within its share (one of the two places): the process is what is full.
    assert.equal((await service.obtain(modelId, { format: 'stl', sizeMm: 11 }, 'client-a')).kind, 'building');
    assert.equal((await service.obtain(modelId, { format: 'stl', sizeMm: 12 }, 'client-b')).kind, 'building');
    await assert.rejects(
      service.obtain(modelId, { format: 'stl', sizeMm: 13 }, 'client-c'),
      (error: ApiError) => {
        assert.equal(error.code, 'formats_busy');
        assert.equal(error.status, 503);
        assert.equal(error.headers['Retry-After'], '10');
        return true;
      },
    );
    await sleep(1400);
    assert.deepEqual(converter.calls, ['stl@11', 'stl@12']);
  });

  void it("one client holds at most half the places (429 too_many_requests beyond), and never blocks another's", async () => {
    const converter = new CountingConverter(400);
    const service = process(converter, { FORMAT_BUILDS: '1', FORMAT_QUEUE: '3', FORMAT_WAIT_S: '0' });
    assert.equal(service.clientShare(), 2);
    for (const sizeMm of [21, 22]) {
      assert.equal((await service.obtain(modelId, { format: 'stl', sizeMm }, 'stranger')).kind, 'building');
    }
    await assert.rejects(
      service.obtain(modelId, { format: 'stl', sizeMm: 23 }, 'stranger'),
      (error: ApiError) => {
        assert.equal(error.code, 'too_many_requests');
        assert.equal(error.status, 429);
        assert.equal(error.headers['Retry-After'], '10');
        return true;
      },
    );
    // Over its share, the stranger may still wait for a file another request is having made.
    assert.equal((await service.obtain(modelId, { format: 'stl', sizeMm: 24 }, 'visitor')).kind, 'building');
    assert.equal((await service.obtain(modelId, { format: 'stl', sizeMm: 24 }, 'stranger')).kind, 'building');
    await sleep(1600);
    assert.deepEqual(converter.calls, ['stl@21', 'stl@22', 'stl@24']);
    // Its builds done, its share is back.
    assert.equal((await service.obtain(modelId, { format: 'stl', sizeMm: 25 }, 'stranger')).kind, 'building');
    await sleep(600);
  });

  void it(`keeps at most ${SIZES_KEPT_PER_FORMAT} sizes of a printing format per model`, async () => {
    const converter = new CountingConverter(10);
    const service = process(converter);
    const sizes = [20, 30, 40, 50, 60, 70];
    for (const sizeMm of sizes) {
      assert.equal((await service.obtain(modelId, { format: '3mf', sizeMm }, 'test-client')).kind, 'ready');
    }
    const kept = readdirSync(staticDir)
      .filter((name) => name.endsWith('.3mf'))
      .sort();
    assert.deepEqual(
      kept,
      sizes.slice(-SIZES_KEPT_PER_FORMAT).map((size) => `${modelId}.${size}mm.3mf`),
    );
    assert.deepEqual(
      [...(await service.records(modelId)).keys()].filter((key) => key.startsWith('3mf@')).sort(),
      sizes.slice(-SIZES_KEPT_PER_FORMAT).map((size) => `3mf@${size}`),
    );
  });

  void it(`a download answered from another process never finds more than ${SIZES_KEPT_PER_FORMAT} sizes kept`, async () => {
    // Removing takes 600 ms here, longer than a waiter's 250 ms poll: a record published before
    // the room was made (the order the security suite once caught) is seen with a size too many.
    // Each build takes 200 ms: long enough to see the maker hold it however busy the machine.
    const converter = new CountingConverter(200);
    const maker = process(converter, {}, new SlowRemoveStore(staticDir, 600));
    const asker = process(converter);
    const ownModelId = '9c1d7b2e-5a3f-4e8d-b6c0-1f2a3b4c5d6e';
    writeFileSync(join(staticDir, sourceModelName(ownModelId)), 'glb bytes');
    for (const sizeMm of [21, 31, 41, 51, 61, 71]) {
      const variant: FormatVariant = { format: 'stl', sizeMm };
      const made = maker.obtain(ownModelId, variant, 'test-client');
      // The maker, not the asker, must make it (the asker's store removes at once).
      await waitFor(
        'the maker holding the build',
        async () => (await maker.isBuilding(ownModelId, variant)) || undefined,
        5000,
        5,
      );
      assert.equal((await asker.obtain(ownModelId, variant, 'test-client')).kind, 'ready');
      const kept = readdirSync(staticDir).filter(
        (name) => name.startsWith(`${ownModelId}.`) && name.endsWith('.stl'),
      );
      assert.ok(kept.length <= SIZES_KEPT_PER_FORMAT, `after ${sizeMm} mm: ${kept.join(' ')}`);
      await made;
    }
    assert.deepEqual(converter.calls, ['stl@21', 'stl@31', 'stl@41', 'stl@51', 'stl@61', 'stl@71']);
  });

  void it('a build that ends between a waiter reading the record and claiming it is not made again', async () => {
    // The interleaving of a loaded machine, forced: the waiter's first read of the record finds
    // nothing, then the maker's whole build (record written, hold released) runs before the
    // waiter claims the hold. Before the fix the waiter took the free hold and made it twice.
    const converter = new CountingConverter(50);
    const maker = process(converter);
    const waiter = process(converter);
    const client = redisServices.at(-1)!.client;
    const variant: FormatVariant = { format: 'stl', sizeMm: 88 };
    const realHget = client.hget.bind(client);
    let firstRead = true;
    client.hget = async (key: string, field: string) => {
      const answer = await realHget(key, field);
      if (firstRead && key === RedisKeys.modelFormats(modelId)) {
        firstRead = false;
        assert.equal(answer, null, 'nothing made yet at the first read');
        assert.equal((await maker.obtain(modelId, variant, 'maker-client')).kind, 'ready');
        await waitFor(
          'the hold released',
          async () => !(await maker.isBuilding(modelId, variant)) || undefined,
          5000,
          5,
        );
      }
      return answer;
    };
    const outcome = await waiter.obtain(modelId, variant, 'waiter-client');
    assert.equal(outcome.kind, 'ready');
    assert.equal(firstRead, false, 'the interleaving was forced');
    assert.deepEqual(converter.calls, ['stl@88']);
    assert.equal(await waiter.isBuilding(modelId, variant), false, 'no hold left behind');
  });

  void it('makes a file again when the cleanup swept it but its record lived on', async () => {
    const converter = new CountingConverter(10);
    const service = process(converter);
    const variant: FormatVariant = { format: 'obj', sizeMm: undefined };
    assert.equal((await service.obtain(modelId, variant, 'test-client')).kind, 'ready');
    rmSync(join(staticDir, `${modelId}.obj.zip`));
    assert.equal((await service.obtain(modelId, variant, 'test-client')).kind, 'ready');
    assert.deepEqual(converter.calls, ['obj@', 'obj@']);
    assert.ok(existsSync(join(staticDir, `${modelId}.obj.zip`)));
  });
});
