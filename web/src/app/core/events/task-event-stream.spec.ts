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

describe('TaskEventStream watchdog', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('reconnects a frozen stream (no event, no heartbeat for two intervals) from the last event id', () => {
    const lost = vi.fn();
    const snapshots: unknown[] = [];
    const stream = new TaskEventStream(
      '/api/status/t1',
      { snapshot: (s) => snapshots.push(s), lost, closed: vi.fn() },
      (url, lastEventId) => new FakeEventSource(url, lastEventId),
    );
    stream.open();
    const first = FakeEventSource.instances[0] as FakeEventSource;
    expect(first.lastEventId).toBeUndefined();
    first.heartbeat();
    vi.advanceTimersByTime(1000);
    first.heartbeat(); // the server's interval: 1 s, so 3 s of silence is a freeze
    vi.advanceTimersByTime(1500);
    first.emit('processing', '{"progress":20}', '41'); // an event restarts the count
    vi.advanceTimersByTime(2900);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(lost).not.toHaveBeenCalled();

    vi.advanceTimersByTime(100); // frozen: nothing for 3 s
    expect(first.closed).toBe(true);
    expect(lost).toHaveBeenCalledTimes(1);
    const second = FakeEventSource.instances[1] as FakeEventSource;
    expect(second.lastEventId).toBe('41');
    second.emit('completed', '{"model_url":"/static/a.glb"}', '42');
    expect(snapshots).toHaveLength(2);
    // A finished stream is not watched any more.
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('ignores what a replaced connection still delivers', () => {
    const snapshots: unknown[] = [];
    const stream = new TaskEventStream(
      '/api/status/t1',
      { snapshot: (s) => snapshots.push(s), lost: vi.fn(), closed: vi.fn() },
      (url, lastEventId) => new FakeEventSource(url, lastEventId),
    );
    stream.open();
    const first = FakeEventSource.instances[0] as FakeEventSource;
    vi.advanceTimersByTime(31_000);
    first.emit('processing', '{"progress":20}', '5');
    expect(snapshots).toEqual([]);
    stream.close();
  });
});
