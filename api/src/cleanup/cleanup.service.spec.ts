import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import { CleanupService } from './cleanup.service';
import { type DirectoryEntry, ModelFiles, selectExpired } from './model-files';

const HOUR = 3600 * 1000;
const NOW = Date.UTC(2026, 10, 28, 3, 0, 0);

class PinnedClock extends Clock {
  override now(): number {
    return NOW;
  }
}

class FakeModelFiles extends ModelFiles {
  readonly removed: string[] = [];
  constructor(private readonly entries: DirectoryEntry[]) {
    super();
  }
  override list(): Promise<DirectoryEntry[]> {
    return Promise.resolve(this.entries);
  }
  override remove(_dir: string, name: string): Promise<void> {
    this.removed.push(name);
    return Promise.resolve();
  }
}

void describe('model cleanup', () => {
  const entries: DirectoryEntry[] = [
    { name: 'a.glb', isFile: true, mtimeMs: NOW - 49 * HOUR },
    { name: 'a.source.glb', isFile: true, mtimeMs: NOW - 49 * HOUR },
    { name: 'fresh.glb', isFile: true, mtimeMs: NOW - 47 * HOUR },
    { name: 'exactly.glb', isFile: true, mtimeMs: NOW - 48 * HOUR },
    { name: 'old.png', isFile: true, mtimeMs: NOW - 500 * HOUR },
    { name: 'old.glb.partial', isFile: true, mtimeMs: NOW - 500 * HOUR },
    { name: 'dir.glb', isFile: false, mtimeMs: NOW - 500 * HOUR },
    { name: '.work', isFile: false, mtimeMs: NOW - 500 * HOUR },
  ];

  void it('selects only plain .glb files modified before the cutoff', () => {
    assert.deepEqual(selectExpired(entries, NOW - 48 * HOUR), ['a.glb', 'a.source.glb']);
  });

  void it('deletes exactly those, RETENTION_HOURS before the clock', async () => {
    const files = new FakeModelFiles(entries);
    const clock = new PinnedClock();
    const service = new CleanupService(
      loadConfig({ RETENTION_HOURS: '48' }, '/srv'),
      files,
      clock,
      {} as SchedulerRegistry,
    );
    assert.deepEqual(await service.runOnce(), ['a.glb', 'a.source.glb']);
    assert.deepEqual(files.removed, ['a.glb', 'a.source.glb']);
  });

  void it('follows RETENTION_HOURS', async () => {
    const files = new FakeModelFiles(entries);
    const service = new CleanupService(
      loadConfig({ RETENTION_HOURS: '1' }, '/srv'),
      files,
      new PinnedClock(),
      {} as SchedulerRegistry,
    );
    assert.deepEqual((await service.runOnce()).sort(), ['a.glb', 'a.source.glb', 'exactly.glb', 'fresh.glb']);
  });
});
