import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Clock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import type { ModelInfo, ModelStore } from '../storage/model-store';
import { StoreDiskSpace } from '../storage/store-disk-space';
import { STORE_USAGE_TTL_MS, StoreUsage } from './store-usage';

const ID = '6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab';

/** A store listing these entries, counting its listings. */
function storeOf(entries: Pick<ModelInfo, 'name' | 'size'>[]) {
  const store = {
    listings: 0,
    async *list(): AsyncIterable<ModelInfo> {
      store.listings += 1;
      await Promise.resolve();
      for (const entry of entries) yield { ...entry, lastModified: new Date(0), etag: '"x"' };
    },
  };
  return store;
}

void describe('store usage (the ops console)', () => {
  void it("counts a model's files only, with the folder's free disk, measured once per TTL", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln3d-store-usage-'));
    try {
      const store = storeOf([
        { name: `${ID}.glb`, size: 100 },
        { name: `${ID}.source.glb`, size: 300 },
        { name: `${ID}.100mm.stl`, size: 50 },
        { name: '.kiln3d-store', size: 36 },
        { name: `${ID}.glb.partial`, size: 999 },
      ]);
      let now = 1_000_000;
      const clock = { now: () => now } as Clock;
      const config = loadConfig({ STATIC_DIR: dir, MIN_FREE_DISK_MB: '0' }, '/');
      const usage = new StoreUsage(
        store as unknown as ModelStore,
        config,
        clock,
        new StoreDiskSpace(config, clock),
      );
      const first = await usage.figures();
      assert.deepEqual([first.kind, first.files, first.bytes], ['local', 3, 450]);
      assert.ok(
        (first.disk_free_bytes ?? 0) > 0 && (first.disk_total_bytes ?? 0) >= (first.disk_free_bytes ?? 0),
      );
      assert.deepEqual([first.disk_min_free_bytes, first.disk_low], [0, false]);
      await usage.figures();
      assert.equal(store.listings, 1, 'reused within the TTL');
      now += STORE_USAGE_TTL_MS;
      await usage.figures();
      assert.equal(store.listings, 2, 'measured again after it');
      usage.invalidate();
      await usage.figures();
      assert.equal(store.listings, 3, 'measured again after a cleanup');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('a failed listing is not kept: the next call measures again', async () => {
    let fail = true;
    const store = {
      async *list(): AsyncIterable<ModelInfo> {
        await Promise.resolve();
        if (fail) throw new Error('bucket unreachable');
        yield* [];
      },
    };
    const config = loadConfig({ STATIC_DIR: tmpdir() }, '/');
    const clock = { now: () => 0 } as Clock;
    const usage = new StoreUsage(
      store as unknown as ModelStore,
      config,
      clock,
      new StoreDiskSpace(config, clock),
    );
    await assert.rejects(usage.figures(), /bucket unreachable/);
    fail = false;
    assert.equal((await usage.figures()).files, 0);
  });

  void it("a folder under MIN_FREE_DISK_MB is said low, with the guard's own figures", async () => {
    // More than any disk has free: the guard's floor is never met.
    const config = loadConfig({ STATIC_DIR: tmpdir(), MIN_FREE_DISK_MB: '1000000000' }, '/');
    const clock = { now: () => 0 } as Clock;
    const usage = new StoreUsage(
      storeOf([]) as unknown as ModelStore,
      config,
      clock,
      new StoreDiskSpace(config, clock),
    );
    const figures = await usage.figures();
    assert.equal(figures.disk_low, true);
    assert.equal(figures.disk_min_free_bytes, 1_000_000_000 * 1024 * 1024);
  });
});
