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
});
