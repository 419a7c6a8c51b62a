import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { ApiError } from '../common/api-error';
import type { Clock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import { DISK_SPACE_TTL_MS, type FilesystemBlocks, StoreDiskSpace, diskIsLow } from './store-disk-space';

const MB = 1024 * 1024;

/** A filesystem of 4096-byte blocks with `freeMb` free (MB), counting the statfs calls. */
class FakeDisk extends StoreDiskSpace {
  freeMb = 100;
  calls = 0;
  failure: Error | undefined;

  protected override async statfs(): Promise<FilesystemBlocks> {
    this.calls += 1;
    await Promise.resolve();
    if (this.failure) throw this.failure;
    return { bavail: (this.freeMb * MB) / 4096, blocks: (1000 * MB) / 4096, bsize: 4096 };
  }
}

function diskOf(env: Record<string, string>): { disk: FakeDisk; clock: { at: number } } {
  const clock = { at: 1_000_000 };
  const config = loadConfig({ STATIC_DIR: tmpdir(), ...env }, '/');
  return { disk: new FakeDisk(config, { now: () => clock.at } as Clock), clock };
}

void describe("the model folder's disk guard (MIN_FREE_DISK_MB)", () => {
  void it('is low strictly under the floor, and never with a floor of 0', () => {
    assert.equal(diskIsLow(10 * MB - 1, 10 * MB), true);
    assert.equal(diskIsLow(10 * MB, 10 * MB), false);
    assert.equal(diskIsLow(0, 0), false, '0 = no check');
  });

  void it('refuses 507 insufficient_storage under the floor, and takes work again once space is freed (after the TTL)', async () => {
    const { disk, clock } = diskOf({ MIN_FREE_DISK_MB: '50' });
    await disk.refuseIfLow();
    disk.freeMb = 49;
    // The figure of a moment ago is still the one used: one statfs per DISK_SPACE_TTL_MS.
    await disk.refuseIfLow();
    clock.at += DISK_SPACE_TTL_MS;
    await assert.rejects(disk.refuseIfLow(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.deepEqual(
        [error.status, error.body()],
        [
          507,
          {
            success: false,
            error: 'Not enough disk space on the server, retry later',
            code: 'insufficient_storage',
          },
        ],
      );
      return true;
    });
    const figures = await disk.figures();
    assert.deepEqual(figures, {
      freeBytes: 49 * MB,
      totalBytes: 1000 * MB,
      minFreeBytes: 50 * MB,
      low: true,
      measuredAt: clock.at,
    });
    disk.freeMb = 60;
    clock.at += DISK_SPACE_TTL_MS - 1;
    assert.equal(await disk.isLow(), true, 'within the TTL');
    clock.at += 1;
    assert.equal(await disk.isLow(), false, 'measured again');
    assert.equal(disk.calls, 3);
  });

  void it('shares one statfs among concurrent callers', async () => {
    const { disk } = diskOf({ MIN_FREE_DISK_MB: '50' });
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => disk.isLow()));
    assert.deepEqual(new Set(verdicts), new Set([false]));
    assert.equal(disk.calls, 1);
  });

  void it('refuses nothing when the folder cannot be measured, and tries again after the TTL', async () => {
    const { disk, clock } = diskOf({ MIN_FREE_DISK_MB: '50' });
    disk.freeMb = 1;
    disk.failure = new Error('ENOENT: no such file or directory');
    assert.equal(await disk.isLow(), false);
    await disk.refuseIfLow();
    await assert.rejects(disk.figures(), /ENOENT/);
    assert.equal(disk.calls, 1, 'a failure is kept for the TTL too (no statfs, no log line per request)');
    disk.failure = undefined;
    clock.at += DISK_SPACE_TTL_MS;
    assert.equal(await disk.isLow(), true);
  });

  void it('MIN_FREE_DISK_MB=0 refuses nothing and measures nothing for uploads', async () => {
    const { disk } = diskOf({ MIN_FREE_DISK_MB: '0' });
    disk.freeMb = 0;
    await disk.refuseIfLow();
    assert.equal(disk.calls, 0);
    assert.equal((await disk.figures())?.low, false, 'the figures still say how much is free');
  });

  void it('a bucket store has no such figure: nothing measured, nothing refused', async () => {
    const { disk } = diskOf({ STORAGE_URL: 's3://kiln-models/models/', MIN_FREE_DISK_MB: '50' });
    disk.freeMb = 0;
    assert.equal(disk.folder, undefined);
    assert.equal(await disk.figures(), undefined);
    await disk.refuseIfLow();
    assert.equal(disk.calls, 0);
  });
});
