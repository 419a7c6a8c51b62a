import type { TaskSnapshot } from '../api/api-types';
import { ALIVE_INTERVAL_MS, FeedConnection, LEADER_TIMEOUT_MS, SharedTaskFeed } from './shared-task-feed';
import type { TaskChannelFactory, TaskChannelLike, TaskLocksLike } from './task-channel';
import type { TaskConnectionHandlers } from './task-connection';

/** BroadcastChannel's semantics in memory: every other open channel of the name, a task later, a copy. */
class ChannelHub {
  private readonly open = new Map<string, Set<TaskChannelLike>>();
  /** Every channel opened, in order (a tab's is the n-th it opened). */
  readonly channels: TaskChannelLike[] = [];

  readonly factory: TaskChannelFactory = (name) => {
    const members = this.open.get(name) ?? new Set<TaskChannelLike>();
    this.open.set(name, members);
    const channel: TaskChannelLike = {
      onmessage: null,
      postMessage: (message) => {
        if (!members.has(channel)) return; // closed
        const copy = structuredClone(message);
        for (const other of members) {
          if (other === channel) continue;
          setTimeout(() => {
            if (members.has(other)) other.onmessage?.(new MessageEvent('message', { data: copy }));
          }, 0);
        }
      },
      close: () => members.delete(channel),
    };
    members.add(channel);
    this.channels.push(channel);
    return channel;
  };
}

/** One tab: its feed, what it was told, and the connection it runs while it leads. */
interface Tab {
  feed: SharedTaskFeed;
  seen: TaskSnapshot[];
  connection: { handlers: TaskConnectionHandlers; running: boolean } | undefined;
}

/** Web Locks' exclusive mode in memory: one holder per name, the waiters in order, abortable. */
class FakeLocks implements TaskLocksLike {
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly held = new Set<string>();

  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        this.held.add(name);
        void callback().then(() => {
          this.held.delete(name);
          resolve(undefined);
          this.queues.get(name)?.shift()?.();
        });
      };
      if (!this.held.has(name)) {
        setTimeout(grant, 0);
        this.held.add(name);
        return;
      }
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      queue.push(grant);
      options.signal?.addEventListener('abort', () => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(new DOMException('aborted', 'AbortError'));
      });
    });
  }
}

const snapshot = (progress: number): TaskSnapshot => ({ task_id: 't1', status: 'processing', progress });

describe('SharedTaskFeed', () => {
  let hub: ChannelHub;
  let running: Set<object>;

  beforeEach(() => {
    vi.useFakeTimers();
    hub = new ChannelHub();
    running = new Set();
  });
  afterEach(() => vi.useRealTimers());

  function openTab(locks?: TaskLocksLike): Tab {
    const tab: Tab = { feed: undefined as unknown as SharedTaskFeed, seen: [], connection: undefined };
    tab.feed = new SharedTaskFeed(
      't1',
      { snapshot: (s) => tab.seen.push(s), reconnecting: () => undefined, refused: () => undefined },
      (handlers): FeedConnection => {
        const connection = { handlers, running: false };
        tab.connection = connection;
        return {
          start: () => {
            connection.running = true;
            running.add(connection);
          },
          stop: () => {
            connection.running = false;
            running.delete(connection);
          },
        };
      },
      hub.factory,
      locks,
    );
    tab.feed.start();
    return tab;
  }

  it('eight tabs: one connection, and every tab hears what it hears, newcomers at once', async () => {
    const tabs: Tab[] = [];
    for (let i = 0; i < 7; i++) {
      tabs.push(openTab());
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(running.size).toBe(1);
    const leader = tabs.find((tab) => tab.feed.leading) as Tab;
    expect(leader).toBe(tabs[0]);
    leader.connection?.handlers.snapshot(snapshot(40));
    await vi.advanceTimersByTimeAsync(0);
    for (const tab of tabs) expect(tab.seen.at(-1)?.progress).toBe(40);

    const late = openTab(); // the eighth: gets the latest state from the leader, opens nothing
    await vi.advanceTimersByTimeAsync(10);
    expect(late.seen.at(-1)?.progress).toBe(40);
    await vi.advanceTimersByTimeAsync(5000);
    expect(running.size).toBe(1);
    expect(late.feed.leading).toBe(false);
    for (const tab of [...tabs, late]) tab.feed.stop();
    expect(running.size).toBe(0);
  });

  it('when the leader leaves, another tab takes over, still one connection', async () => {
    const tabs: Tab[] = [];
    for (let i = 0; i < 3; i++) {
      tabs.push(openTab());
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(1000);
    const first = tabs.find((tab) => tab.feed.leading) as Tab;
    first.connection?.handlers.snapshot(snapshot(10));
    first.feed.stop(); // its tab closed (pagehide) or it stopped following
    await vi.advanceTimersByTimeAsync(1000);
    expect(running.size).toBe(1);
    const next = tabs.find((tab) => tab.feed.leading) as Tab;
    expect(next).toBeDefined();
    expect(next).not.toBe(first);
    next.connection?.handlers.snapshot(snapshot(20));
    await vi.advanceTimersByTimeAsync(0);
    for (const tab of tabs.filter((t) => t !== first)) expect(tab.seen.at(-1)?.progress).toBe(20);
    for (const tab of tabs) tab.feed.stop();
  });

  it('a leader that vanished without a word (a crashed tab) is replaced after its timeout', async () => {
    const tabs = [openTab()];
    await vi.advanceTimersByTimeAsync(1);
    tabs.push(openTab());
    await vi.advanceTimersByTimeAsync(1000);
    const [crashed, survivor] = tabs as [Tab, Tab];
    expect(crashed.feed.leading).toBe(true);
    // Crash: its channel goes silent (it neither hears nor says anything), no goodbye.
    hub.channels[0]?.close();
    await vi.advanceTimersByTimeAsync(LEADER_TIMEOUT_MS + 2 * ALIVE_INTERVAL_MS);
    expect(survivor.feed.leading).toBe(true);
    survivor.feed.stop();
    crashed.feed.stop();
  });

  it('two tabs that lead at once settle it: the older keeps the lead', async () => {
    const older = openTab();
    await vi.advanceTimersByTimeAsync(1);
    const younger = openTab();
    // Both claim before either hears the other (they opened within the wait).
    await vi.advanceTimersByTimeAsync(300);
    await vi.advanceTimersByTimeAsync(2 * ALIVE_INTERVAL_MS);
    expect(older.feed.leading).toBe(true);
    expect(younger.feed.leading).toBe(false);
    expect(running.size).toBe(1);
    older.feed.stop();
    younger.feed.stop();
  });

  it('with Web Locks: the lock holder leads however long the others wait, and hands on when it stops', async () => {
    const locks = new FakeLocks();
    const tabs = [openTab(locks), openTab(locks), openTab(locks)];
    await vi.advanceTimersByTimeAsync(10);
    expect(running.size).toBe(1);
    const [first, second, third] = tabs as [Tab, Tab, Tab];
    expect(first.feed.leading).toBe(true);
    first.connection?.handlers.snapshot(snapshot(30));
    await vi.advanceTimersByTimeAsync(0);
    expect(third.seen.at(-1)?.progress).toBe(30);
    // A leader too busy to say anything for a minute keeps the lead: no timeout in this mode.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(running.size).toBe(1);
    expect(first.feed.leading).toBe(true);
    first.feed.stop();
    await vi.advanceTimersByTimeAsync(10);
    expect(second.feed.leading).toBe(true);
    expect(running.size).toBe(1);
    second.connection?.handlers.snapshot(snapshot(50));
    await vi.advanceTimersByTimeAsync(0);
    expect(third.seen.at(-1)?.progress).toBe(50); // the younger leader is heard
    third.feed.stop(); // a waiting tab that leaves never leads
    second.feed.stop();
    await vi.advanceTimersByTimeAsync(10);
    expect(running.size).toBe(0);
  });

  it('without a channel the tab leads alone, at once', () => {
    const seen: TaskSnapshot[] = [];
    const start = vi.fn();
    const feed = new SharedTaskFeed(
      't1',
      { snapshot: (s) => seen.push(s), reconnecting: () => undefined, refused: () => undefined },
      () => ({ start, stop: () => undefined }),
      () => undefined,
    );
    feed.start();
    expect(feed.leading).toBe(true);
    expect(start).toHaveBeenCalledTimes(1);
    feed.stop();
  });
});
