import { FakeEventSource } from '../../../testing/fake-event-source';
import { ApiClient, Outcome } from '../api/api-client';
import type { TaskSnapshot } from '../api/api-types';
import { FAILURES_BEFORE_POLLING, TaskConnection } from './task-connection';

type Reply = Outcome<TaskSnapshot>;

/** An ApiClient whose getTask answers `reply` (the test may change it). */
function fakeApi(first: Reply): { api: ApiClient; reads: () => number; reply: Reply } {
  const server = {
    reply: first,
    reads: () => reads,
    api: {
      getTask: () => {
        reads += 1;
        return Promise.resolve(server.reply);
      },
    } as unknown as ApiClient,
  };
  let reads = 0;
  return server;
}

const processing = (progress: number): Reply => ({
  ok: true,
  value: { task_id: 't1', status: 'processing', progress },
});
const completed: Reply = {
  ok: true,
  value: { task_id: 't1', status: 'completed', model_url: '/static/m.glb' },
};

describe('TaskConnection', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  function connect(api: ApiClient) {
    const seen: TaskSnapshot[] = [];
    const reconnecting: boolean[] = [];
    const refused = vi.fn();
    const connection = new TaskConnection(
      't1',
      api,
      (url, lastEventId) => new FakeEventSource(url, lastEventId),
      { snapshot: (s) => seen.push(s), reconnecting: (r) => reconnecting.push(r), refused },
    );
    connection.start();
    return {
      connection,
      seen,
      reconnecting,
      refused,
      source: () => FakeEventSource.instances.at(-1) as FakeEventSource,
    };
  }

  it('after repeated freezes polls (one read at a time) and shows the finished model from a poll', async () => {
    const server = fakeApi(processing(50));
    const { connection, seen, source } = connect(server.api);
    source().emit('processing', '{"progress":40}', '1');
    // The stream freezes again and again: nothing, not even heartbeats.
    for (let i = 0; i < FAILURES_BEFORE_POLLING; i++) await vi.advanceTimersByTimeAsync(31_000);
    expect(connection.polling).toBe(true);
    expect(source().lastEventId).toBe('1'); // each reconnect resumes after the last event
    expect(FakeEventSource.instances).toHaveLength(FAILURES_BEFORE_POLLING + 1);
    const readsAtStart = server.reads();
    await vi.advanceTimersByTimeAsync(3500);
    // Once a second while the server answers, never two at once.
    expect(server.reads() - readsAtStart).toBeGreaterThanOrEqual(3);
    expect(server.reads() - readsAtStart).toBeLessThanOrEqual(4);
    server.reply = completed;
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.at(-1)?.status).toBe('completed');
    expect(connection.polling).toBe(false); // done: no more reads
    const reads = server.reads();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.reads()).toBe(reads);
    connection.stop();
  });

  it('goes back to the stream once it delivers again, and polling stops', async () => {
    const server = fakeApi(processing(50));
    const { connection, reconnecting, source } = connect(server.api);
    for (let i = 0; i < FAILURES_BEFORE_POLLING; i++) source().fail(0); // drops
    expect(connection.polling).toBe(true);
    expect(reconnecting.at(-1)).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    source().emit('processing', '{"progress":70}', '9');
    expect(connection.polling).toBe(false);
    expect(reconnecting.at(-1)).toBe(false);
    const reads = server.reads();
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.reads()).toBe(reads);
    connection.stop();
  });

  it.each([
    { status: 404, code: 'task_not_found', error: 'Task not found' },
    // API keys only: a browser holds no key, so a watch link can never be followed from it.
    { status: 401, code: 'unauthorized', error: 'Unauthorized' },
  ] as const)('a refusal asking again cannot change ($code) ends the following, once', async (error) => {
    const server = fakeApi({ ok: false, error });
    const { refused, source, connection } = connect(server.api);
    source().fail(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(refused).toHaveBeenCalledTimes(1);
    expect(refused).toHaveBeenCalledWith(error);
    const reads = server.reads();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.reads()).toBe(reads); // nothing asked again
    expect(FakeEventSource.instances).toHaveLength(1);
    connection.stop();
  });
});
