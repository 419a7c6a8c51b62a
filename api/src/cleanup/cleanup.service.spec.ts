import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectExpired } from './model-files';

const HOUR = 3600 * 1000;
const NOW = Date.UTC(2026, 10, 28, 3, 0, 0);

void describe('model cleanup: which models expire', () => {
  const entries = (
    [
      ['a.glb', 49],
      ['a.source.glb', 49],
      ['fresh.glb', 47],
      ['exactly.glb', 48],
      ['old.png', 500],
      ['old.glb.partial', 500],
    ] as const
  ).map(([name, hours]) => ({ name, lastModified: new Date(NOW - hours * HOUR) }));

  void it('selects only .glb models modified before the cutoff', () => {
    assert.deepEqual(selectExpired(entries, NOW - 48 * HOUR), ['a.glb', 'a.source.glb']);
  });

  void it('follows the cutoff (RETENTION_HOURS)', () => {
    assert.deepEqual(selectExpired(entries, NOW - HOUR).sort(), [
      'a.glb',
      'a.source.glb',
      'exactly.glb',
      'fresh.glb',
    ]);
  });

  void it('keeps a model whole while any of its GLBs is young: its source written a moment before its web GLB', () => {
    const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
    const files = (
      [
        [`${id}.source.glb`, 48.001], // written first, just past the cutoff
        [`${id}.glb`, 47.999],
        [`${id}.lod.glb`, 47.999],
      ] as const
    ).map(([name, hours]) => ({ name, lastModified: new Date(NOW - hours * HOUR) }));
    assert.deepEqual(selectExpired(files, NOW - 48 * HOUR), []);
    assert.deepEqual(selectExpired(files, NOW - 47 * HOUR).sort(), [
      `${id}.glb`,
      `${id}.lod.glb`,
      `${id}.source.glb`,
    ]);
  });

  void it("deletes a model's other formats with the model, never before it, never after", () => {
    const id = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
    const other = '9b2d6c1e-5a4f-4e3b-8c7d-1a2b3c4d5e6f';
    const orphan = '0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a';
    const files = (
      [
        [`${id}.glb`, 49],
        [`${id}.source.glb`, 49],
        [`${id}.100mm.stl`, 2], // made late: goes with its model
        [`${id}.usdz`, 2],
        [`${other}.glb`, 10],
        [`${other}.source.glb`, 10],
        [`${other}.obj.zip`, 3], // its model lives: kept
        [`${other}.150mm.3mf`, 3],
        [`${other}.ply`, 60], // older than the cutoff, but its model lives (a repeat): kept with it
        [`${orphan}.ply`, 1], // no model left (removed by a cancel, a bucket rule): deleted
        [`.${orphan}.ab12cd34.partial`, 100], // being made, or a crash's leftover: never the cleanup's
        ['.kiln3d-folder-id', 500],
      ] as const
    ).map(([name, hours]) => ({ name, lastModified: new Date(NOW - hours * HOUR) }));
    assert.deepEqual(selectExpired(files, NOW - 48 * HOUR).sort(), [
      `${orphan}.ply`,
      `${id}.100mm.stl`,
      `${id}.glb`,
      `${id}.source.glb`,
      `${id}.usdz`,
    ]);
  });
});
