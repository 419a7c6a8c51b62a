import { Poller, PollerHost } from './ops-poller';

/** Timers the test runs by hand, and a page that can be hidden. */
class FakeHost implements PollerHost {
  isHidden = false;
  private next = 1;
  readonly timers = new Map<number, { run: () => void; ms: number }>();
  hidden(): boolean {
    return this.isHidden;
  }
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { run, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Fires every pending timer once. */
  fire(): void {
    const pending = [...this.timers.values()];
    this.timers.clear();
    for (const timer of pending) timer.run();
  }
}

/** A poll the test settles by hand. */
function manualPoll() {
  const calls: (() => void)[] = [];
  const poll = () => new Promise<void>((resolve) => calls.push(resolve));
  return { poll, calls };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the ops console poller', () => {
  it('polls at once, then again only after the answer, every interval', async () => {
    const host = new FakeHost();
    const { poll, calls } = manualPoll();
    const poller = new Poller(poll, 3000, host);
    poller.start();
    expect(calls.length).toBe(1);
    // No answer yet: no timer, so requests never pile up.
    expect(host.timers.size).toBe(0);
    poller.now();
    expect(calls.length).toBe(1);
    calls[0]?.();
    await settle();
    expect([...host.timers.values()].map((t) => t.ms)).toEqual([3000]);
    host.fire();
    expect(calls.length).toBe(2);
    poller.stop();
  });

  it('makes no request while the page is hidden, and polls at once when it is shown again', async () => {
    const host = new FakeHost();
    const { poll, calls } = manualPoll();
    const poller = new Poller(poll, 3000, host);
    poller.start();
    calls[0]?.();
    await settle();
    host.isHidden = true;
    poller.visibilityChanged();
    expect(host.timers.size).toBe(0);
    host.isHidden = false;
    poller.visibilityChanged();
    expect(calls.length).toBe(2);
    poller.stop();
  });

  it('goes on after a failed poll, and stops for good when stopped', async () => {
    const host = new FakeHost();
    let count = 0;
    const poller = new Poller(
      () => {
        count += 1;
        return Promise.reject(new Error('network'));
      },
      2000,
      host,
    );
    poller.start();
    await settle();
    expect(host.timers.size).toBe(1);
    poller.stop();
    expect(host.timers.size).toBe(0);
    poller.now();
    expect(count).toBe(1);
  });
});
