import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeReport } from '../workers/worker-registry.service';
import { unusedByEveryWorker } from './unused-options';

/** A heartbeat as WorkerRegistry.report() writes it; `unused` null: its sidecar has not reported. */
function node(id: string, unused: NodeReport['unused_options'], worker = true): NodeReport {
  return {
    id,
    role: worker ? 'all' : 'api',
    host: 'box',
    pid: 1,
    store: 'local',
    started_at: '2026-12-07T00:00:00.000Z',
    seen_at: '2026-12-07T00:00:01.000Z',
    worker: worker
      ? { state: 'idle', task_id: null, engine: 'inflate', device: 'cpu', gpu: null, sidecar_pid: 2 }
      : null,
    sidecar: null,
    unused_options: unused,
  };
}

const INFLATE = {
  generation: ['seed', 'pipeline_type', 'texture_size', 'faces'],
  texture: ['seed', 'texture_resolution'],
};
const SIMULATE = {
  generation: ['pipeline_type', 'texture_size', 'faces'],
  texture: ['seed', 'texture_resolution'],
};
const TRELLIS2 = { generation: [], texture: [] };

void describe('the options no live worker uses (GET /api/qualities unused_options)', () => {
  void it("one worker: its engine's, pipeline_type named quality, in the requests' order", () => {
    assert.deepEqual(unusedByEveryWorker([node('a', INFLATE)]), {
      generate: ['quality', 'seed', 'texture_size', 'faces'],
      texture: ['seed', 'texture_resolution'],
    });
  });

  void it('several workers: only what every one of them ignores', () => {
    assert.deepEqual(unusedByEveryWorker([node('a', INFLATE), node('b', SIMULATE)]), {
      generate: ['quality', 'texture_size', 'faces'],
      texture: ['seed', 'texture_resolution'],
    });
    assert.deepEqual(unusedByEveryWorker([node('a', INFLATE), node('b', TRELLIS2)]), {
      generate: [],
      texture: [],
    });
  });

  void it('a worker yet to report, an api-only process and an older heartbeat add nothing', () => {
    const older = node('c', null);
    delete older.unused_options;
    const nodes = [node('a', INFLATE), node('b', null), node('api', TRELLIS2, false), older];
    assert.deepEqual(unusedByEveryWorker(nodes), unusedByEveryWorker([node('a', INFLATE)]));
  });

  void it('no worker has reported: nothing is said unused', () => {
    assert.deepEqual(unusedByEveryWorker([]), { generate: [], texture: [] });
    assert.deepEqual(unusedByEveryWorker([node('b', null)]), { generate: [], texture: [] });
  });
});
