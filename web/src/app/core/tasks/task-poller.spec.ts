import { PollVerdict, TaskPoller } from './task-poller';

/** An ask() whose answers the test releases one by one. */
function controlledAsk(): {
  ask: () => Promise<PollVerdict>;
  calls: () => number;
  answer(verdict: PollVerdict): void;
} {
  const pending: ((verdict: PollVerdict) => void)[] = [];
  let calls = 0;
  return {
    ask: () =>
      new Promise<PollVerdict>((resolve) => {
        calls += 1;
        pending.push(resolve);
      }),
    calls: () => calls,
    answer: (verdict) => pending.shift()?.(verdict),
  };
}

describe('TaskPoller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('never has two requests in flight: a slow answer holds the next poll, pollNow shares it', async () => {
    const server = controlledAsk();
    const poller = new TaskPoller(server.ask);
    poller.start();
    expect(server.calls()).toBe(1);
    const shared = poller.pollNow();
    await vi.advanceTimersByTimeAsync(60_000); // the answer takes a minute
    expect(server.calls()).toBe(1);
    server.answer('answered');
    expect(await shared).toBe('answered');
    await vi.advanceTimersByTimeAsync(999);
    expect(server.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls()).toBe(2); // once a second while the server answers
    poller.stop();
  });

  it('backs off while polls get no answer, resets on an answer, and ends on done', async () => {
    const server = controlledAsk();
    const poller = new TaskPoller(server.ask);
    poller.start();
    const times: number[] = [];
    const start = Date.now();
    const answerNext = async (verdict: PollVerdict): Promise<void> => {
      times.push(Date.now() - start);
      server.answer(verdict);
      await vi.advanceTimersByTimeAsync(0);
    };
    await answerNext('unanswered');
    for (const step of [2000, 4000, 8000]) {
      await vi.advanceTimersByTimeAsync(step);
      await answerNext('unanswered');
    }
    await vi.advanceTimersByTimeAsync(15_000);
    await answerNext('answered');
    await vi.advanceTimersByTimeAsync(1000);
    await answerNext('done');
    expect(times).toEqual([0, 2000, 6000, 14_000, 29_000, 30_000]);
    expect(server.calls()).toBe(6);
    expect(poller.active).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls()).toBe(6);
  });

  it('a stopped poller schedules nothing, even when its last request settles later', async () => {
    const server = controlledAsk();
    const poller = new TaskPoller(server.ask);
    poller.start();
    poller.stop();
    server.answer('answered');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.calls()).toBe(1);
  });
});
