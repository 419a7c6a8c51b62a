import { MAX_HEARTBEAT_MS, StreamWatchdog } from './stream-watchdog';

describe('StreamWatchdog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once after two of the longest heartbeat intervals of silence (plus slack)', () => {
    const silent = vi.fn();
    const watchdog = new StreamWatchdog(silent);
    watchdog.arm();
    expect(watchdog.limitMs).toBe(2 * MAX_HEARTBEAT_MS + 1000);
    vi.advanceTimersByTime(2 * MAX_HEARTBEAT_MS + 999);
    expect(silent).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(silent).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * MAX_HEARTBEAT_MS);
    expect(silent).toHaveBeenCalledTimes(1);
  });

  it('learns the interval from the heartbeats, and every event or heartbeat restarts the count', () => {
    const silent = vi.fn();
    const watchdog = new StreamWatchdog(silent);
    watchdog.arm();
    watchdog.heard(true);
    vi.advanceTimersByTime(1000);
    watchdog.heard(true); // 1 s apart: the server's SSE_HEARTBEAT_S is 1.
    expect(watchdog.limitMs).toBe(3000);
    vi.advanceTimersByTime(2500);
    watchdog.heard(false); // an event
    vi.advanceTimersByTime(2999);
    expect(silent).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(silent).toHaveBeenCalledTimes(1);
  });

  it("prefers the server's time stamps: a page that read two heartbeats late and together still learns 1 s", () => {
    const silent = vi.fn();
    const watchdog = new StreamWatchdog(silent);
    watchdog.arm();
    watchdog.heard(true, 'heartbeat 2026-01-01T00:00:00.000Z');
    vi.advanceTimersByTime(4000); // busy drawing: the next two arrive late, together
    watchdog.heard(true, 'heartbeat 2026-01-01T00:00:01.000Z');
    watchdog.heard(true, 'heartbeat 2026-01-01T00:00:02.000Z');
    expect(watchdog.limitMs).toBe(3000);
    vi.advanceTimersByTime(3000);
    expect(silent).toHaveBeenCalledTimes(1);
  });

  it('never learns more than the documented 15 s, and a stopped watchdog stays quiet', () => {
    const silent = vi.fn();
    const watchdog = new StreamWatchdog(silent);
    watchdog.arm();
    watchdog.heard(true);
    vi.advanceTimersByTime(25_000);
    watchdog.heard(true);
    expect(watchdog.limitMs).toBe(2 * MAX_HEARTBEAT_MS + 1000);
    watchdog.stop();
    vi.advanceTimersByTime(100_000);
    expect(silent).not.toHaveBeenCalled();
  });
});
