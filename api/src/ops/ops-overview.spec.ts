import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from '../tasks/state/task-snapshot';
import type { NodeReport } from '../tasks/workers/worker-registry.service';
import { queueTaskOf, sortQueue, workerOf } from './ops-overview';

const NOW = Date.parse('2026-01-01T00:01:00.000Z');

function record(patch: Partial<TaskRecord>): TaskRecord {
  return {
    task_id: 'a',
    status: 'queued',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}

void describe('ops overview: the queue as the console lists it', () => {
  void it('a waiting task: age, position, ETA and quality; nothing of a running one', () => {
    const view = queueTaskOf(
      record({
        position: 2,
        eta_s: 30,
        progress: 5,
        options: { quality: 'fast', seed: 1, texture_size: 1024, faces: 1000 },
        model_id: 'm',
      }),
      NOW,
    );
    assert.deepEqual(view, {
      task_id: 'a',
      job_id: 'a',
      status: 'queued',
      age_s: 60,
      position: 2,
      eta_s: 30,
      quality: 'fast',
      progress: null,
      stage: null,
    });
  });

  void it("a repeat following another task's job names that job", () => {
    assert.equal(queueTaskOf(record({ task_id: 'r' }), NOW, 'first').job_id, 'first');
  });

  void it('a running task shows its progress and stage; an unknown quality or time reads null or 0', () => {
    const view = queueTaskOf(
      record({ status: 'processing', progress: 40, stage: 'geometry', created_at: 'junk' }),
      NOW,
    );
    assert.deepEqual(
      [view.age_s, view.progress, view.stage, view.quality, view.position],
      [0, 40, 'geometry', null, null],
    );
  });

  void it('running first, then waiting by position, then by age', () => {
    const tasks = [
      queueTaskOf(record({ task_id: 'w2', position: 2 }), NOW),
      queueTaskOf(record({ task_id: 'old', created_at: '2025-12-31T23:59:00.000Z' }), NOW),
      queueTaskOf(record({ task_id: 'run', status: 'processing' }), NOW),
      queueTaskOf(record({ task_id: 'w1', position: 1 }), NOW),
      queueTaskOf(record({ task_id: 'new' }), NOW),
    ];
    assert.deepEqual(
      sortQueue(tasks).map((t) => t.task_id),
      ['run', 'w1', 'w2', 'old', 'new'],
    );
  });

  void it('a worker with its sidecar; an api-only process is no worker; an old heartbeat has sidecar null', () => {
    const node: NodeReport = {
      id: 'n',
      role: 'all',
      host: 'h',
      pid: 1,
      store: 'folder:x',
      started_at: '2026-01-01T00:00:00.000Z',
      seen_at: '2026-01-01T00:01:00.000Z',
      worker: {
        state: 'idle',
        task_id: null,
        engine: 'simulate',
        device: 'cpu',
        gpu: null,
        sidecar_pid: 9,
      },
    };
    const view = workerOf(node);
    assert.equal(view?.sidecar, null);
    assert.equal(view?.engine, 'simulate');
    assert.equal(view?.started_at, node.started_at);
    assert.equal('store' in (view ?? {}), false);
    assert.equal(workerOf({ ...node, worker: null }), undefined);
  });
});
