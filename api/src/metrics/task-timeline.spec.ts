import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from '../tasks/state/task-snapshot';
import { TaskTimeline } from './task-timeline';

const T0 = Date.parse('2026-11-30T03:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

function record(patch: Partial<TaskRecord>): TaskRecord {
  return { task_id: 't', status: 'queued', created_at: at(-5), updated_at: at(-5), ...patch };
}

const processing = (stage: string, s: number, progress = 10): TaskRecord =>
  record({ status: 'processing', stage, progress, started_at: at(0), updated_at: at(s) });

void describe('TaskTimeline', () => {
  void it('a completed run: each stage from its first event to the next stage, the last to finished_at', () => {
    const timeline = new TaskTimeline();
    assert.equal(timeline.observe('t', record({ status: 'queued', position: 1 })), undefined);
    for (const [stage, s] of [
      ['preprocess', 0],
      ['preprocess', 0.5],
      ['structure', 1],
      ['geometry', 4],
      ['geometry', 6],
      ['texture', 9],
      ['export', 12],
    ] as const) {
      assert.equal(timeline.observe('t', processing(stage, s)), undefined);
    }
    const outcome = timeline.observe(
      't',
      record({
        status: 'completed',
        stage: 'export',
        started_at: at(0),
        finished_at: at(14),
        updated_at: at(14),
        generation_time: 14.01,
      }),
    );
    assert.deepEqual(outcome, {
      outcome: 'completed',
      httpStatus: 200,
      jobSeconds: 14.01,
      stages: [
        { stage: 'preprocess', seconds: 1 },
        { stage: 'structure', seconds: 3 },
        { stage: 'geometry', seconds: 5 },
        { stage: 'texture', seconds: 3 },
        { stage: 'export', seconds: 2 },
      ],
    });
    assert.equal(timeline.size, 0);
  });

  void it('a failed run counts its status and duration, not its cut-short stages', () => {
    const timeline = new TaskTimeline();
    timeline.observe('t', processing('preprocess', 0));
    timeline.observe('t', processing('geometry', 2));
    const outcome = timeline.observe(
      't',
      record({
        status: 'failed',
        http_status: 504,
        error: 'Generation timeout',
        stage: 'geometry',
        started_at: at(0),
        finished_at: at(180),
        updated_at: at(180),
      }),
    );
    assert.deepEqual(outcome, { outcome: 'failed', httpStatus: 504, jobSeconds: 180, stages: [] });
  });

  void it('a task cancelled while queued never ran: no job duration', () => {
    const timeline = new TaskTimeline();
    const outcome = timeline.observe(
      't',
      record({
        status: 'failed',
        http_status: 409,
        error: 'Task cancelled',
        cancelled: true,
        finished_at: at(1),
        updated_at: at(1),
      }),
    );
    assert.deepEqual(outcome, { outcome: 'failed', httpStatus: 409, jobSeconds: undefined, stages: [] });
  });

  void it('a run put back in the queue (graceful stop) starts over', () => {
    const timeline = new TaskTimeline();
    timeline.observe('t', processing('preprocess', 0));
    timeline.observe('t', processing('geometry', 3));
    timeline.observe('t', record({ status: 'queued', position: 1, updated_at: at(5) }));
    assert.equal(timeline.size, 0);
    timeline.observe(
      't',
      record({ status: 'processing', stage: 'preprocess', started_at: at(10), updated_at: at(10) }),
    );
    const outcome = timeline.observe(
      't',
      record({
        status: 'completed',
        started_at: at(10),
        finished_at: at(12),
        updated_at: at(12),
        generation_time: 2,
      }),
    );
    assert.deepEqual(outcome?.stages, [{ stage: 'preprocess', seconds: 2 }]);
  });

  void it('a task first seen mid-stage has that stage measured from then; tasks are followed apart', () => {
    const timeline = new TaskTimeline();
    timeline.observe('a', processing('texture', 9));
    timeline.observe('b', processing('preprocess', 0));
    const a = timeline.observe(
      'a',
      record({
        status: 'completed',
        started_at: at(0),
        finished_at: at(11),
        updated_at: at(11),
        generation_time: 11,
      }),
    );
    assert.deepEqual(a?.stages, [{ stage: 'texture', seconds: 2 }]);
    assert.equal(timeline.size, 1);
  });

  void it('follows at most 256 tasks (a missed terminal event cannot grow it forever)', () => {
    const timeline = new TaskTimeline();
    for (let i = 0; i < 300; i++) timeline.observe(`t${i}`, processing('preprocess', 0));
    assert.equal(timeline.size, 256);
  });
});
