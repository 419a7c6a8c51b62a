import { TaskSnapshot } from '../api/api-types';
import { FakeEventSource } from '../../../testing/fake-event-source';
import { TaskEventStream, TaskStreamHandlers } from './task-event-stream';

interface RecordingHandlers extends TaskStreamHandlers {
  snapshots: TaskSnapshot[];
  lostCount: number;
  closedCount: number;
}

function handlers(): RecordingHandlers {
  const recording: RecordingHandlers = {
    snapshots: [],
    lostCount: 0,
    closedCount: 0,
    snapshot: (s) => recording.snapshots.push(s),
    lost: () => (recording.lostCount += 1),
    closed: () => (recording.closedCount += 1),
  };
  return recording;
}

describe('TaskEventStream', () => {
  beforeEach(() => (FakeEventSource.instances = []));

  function open(h: TaskStreamHandlers): { stream: TaskEventStream; source: () => FakeEventSource } {
    const stream = new TaskEventStream('/api/status/t1', h, (url) => new FakeEventSource(url));
    stream.open();
    return { stream, source: () => FakeEventSource.instances.at(-1) as FakeEventSource };
  }

  it('delivers named events as snapshots', () => {
    const h = handlers();
    const { source } = open(h);
    source().emit('queued', '{"status":"queued","position":1,"eta_s":30}');
    source().emit('processing', '{"progress":20,"stage":"geometry"}');
    expect(h.snapshots).toEqual([
      { status: 'queued', position: 1, eta_s: 30 },
      { status: 'processing', progress: 20, stage: 'geometry' },
    ]);
    expect(source().url).toBe('/api/status/t1');
  });

  it("listens for the server's statuses only: a cancelled task ends failed, there is no cancelled event", () => {
    const h = handlers();
    const { source } = open(h);
    expect(source().listenedTypes().sort()).toEqual(['completed', 'failed', 'processing', 'queued']);
    source().emit(
      'failed',
      '{"status":"failed","error":"Task cancelled","error_code":"task_cancelled","http_status":409,"cancelled":true}',
    );
    expect(source().closed).toBe(true);
    expect(h.snapshots[0]).toMatchObject({ status: 'failed', error_code: 'task_cancelled', cancelled: true });
  });

  it('closes itself after a terminal event so the browser does not reconnect', () => {
    const h = handlers();
    const { stream, source } = open(h);
    source().emit('completed', '{"status":"completed","model_url":"/static/a.glb"}');
    expect(source().closed).toBe(true);
    source().emit('processing', '{"progress":50}');
    expect(h.snapshots).toHaveLength(1);
    // Finished for good: even an explicit reopen makes no new connection.
    stream.reopen();
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('reports a drop while the browser reconnects, and a permanent close separately', () => {
    const h = handlers();
    const { stream, source } = open(h);
    source().fail(0);
    expect(h.lostCount).toBe(1);
    expect(h.closedCount).toBe(0);
    source().fail(2);
    expect(h.closedCount).toBe(1);
    stream.reopen();
    expect(FakeEventSource.instances).toHaveLength(2);
    source().emit('processing', '{"status":"processing","progress":70}');
    expect(h.snapshots.at(-1)?.progress).toBe(70);
  });

  it('skips a malformed event', () => {
    const h = handlers();
    const { source } = open(h);
    source().emit('processing', 'not json');
    expect(h.snapshots).toEqual([]);
  });
});
