import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { CleanupService } from '../../src/cleanup/cleanup.service';
import { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import type { FormatBuildsService } from '../../src/formats/format-builds.service';
import { LocalModelStore } from '../../src/storage/local-model-store';
import type { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { tempDir } from '../support/env';

/**
 * The owners the cleanup asks to forget a deleted model's tasks and records of formats, noting
 * which models they were asked about (their Redis side: cleanup-tasks.test.ts).
 */
function forgetting(): { asked: string[][]; lifecycle: TaskLifecycle; formats: FormatBuildsService } {
  const asked: string[][] = [];
  const forgetModels = (ids: readonly string[]): Promise<string[]> => {
    asked.push([...ids].sort());
    return Promise.resolve([]);
  };
  return {
    asked,
    lifecycle: { forgetModels } as unknown as TaskLifecycle,
    formats: { forget: () => Promise.resolve() } as unknown as FormatBuildsService,
  };
}

/** The real filesystem with forged modification times. */
void describe('model cleanup on a real folder', () => {
  const dir = tempDir('cleanup');
  after(() => dir.remove());

  void it('deletes only models older than RETENTION_HOURS, their other formats with them, nothing else', async () => {
    const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3600 * 1000);
    const forge = (name: string, ageH: number, content = 'x'): void => {
      writeFileSync(join(dir.path, name), content);
      utimesSync(join(dir.path, name), hoursAgo(ageH), hoursAgo(ageH));
    };
    const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
    forge(`${id}.glb`, 49);
    forge(`${id}.source.glb`, 72);
    forge(`${id}.150mm.3mf`, 3); // made late in its model's life: goes with it
    forge(`${id}.ply`, 1);
    forge('7a0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a91.glb', 47);
    forge('7a0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a91.usdz', 2); // its model lives: kept
    forge('notes.txt', 500);
    forge('.abc.partial', 500);
    mkdirSync(join(dir.path, '.work'));
    forge(join('.work', 'queued.glb'), 500);
    mkdirSync(join(dir.path, 'old.glb'));
    utimesSync(join(dir.path, 'old.glb'), hoursAgo(500), hoursAgo(500));

    const owners = forgetting();
    const service = new CleanupService(
      loadConfig({ RETENTION_HOURS: '48' }),
      new LocalModelStore(dir.path),
      new Clock(),
      {} as SchedulerRegistry,
      owners.lifecycle,
      owners.formats,
    );
    assert.deepEqual((await service.runOnce()).sort(), [
      `${id}.150mm.3mf`,
      `${id}.glb`,
      `${id}.ply`,
      `${id}.source.glb`,
    ]);
    assert.deepEqual(readdirSync(dir.path).sort(), [
      '.abc.partial',
      '.work',
      '7a0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a91.glb',
      '7a0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a91.usdz',
      'notes.txt',
      'old.glb',
    ]);
    assert.deepEqual(readdirSync(join(dir.path, '.work')), ['queued.glb']);
    // Its tasks are forgotten by their owner: the one model deleted, once.
    assert.deepEqual(owners.asked, [[id]]);
  });

  void it('copes with a missing folder', async () => {
    const owners = forgetting();
    const service = new CleanupService(
      loadConfig({}),
      new LocalModelStore(join(dir.path, 'absent')),
      new Clock(),
      {} as SchedulerRegistry,
      owners.lifecycle,
      owners.formats,
    );
    assert.deepEqual(await service.runOnce(), []);
    assert.deepEqual(owners.asked, [], 'nothing deleted, no task forgotten');
  });
});
