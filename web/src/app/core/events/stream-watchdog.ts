/**
 * The server's longest heartbeat interval: SSE_HEARTBEAT_S is at most 15 s (docs/design.md: "a
 * comment heartbeat at least every 15 s"). /api/config does not say the configured value, so the
 * watchdog starts from this bound and learns the real one from the heartbeats it sees.
 */
export const MAX_HEARTBEAT_MS = 15_000;
/** Silence allowed, in heartbeat intervals, before the stream counts as frozen. */
const INTERVALS_OF_SILENCE = 2;
/** Added to the allowed silence: timers, scheduling and the network's own jitter. */
const SLACK_MS = 1000;

/**
 * Notices a frozen event stream: one whose connection stays open but carries nothing (a proxy or
 * a mobile network that stopped forwarding without closing), which never makes an EventSource
 * fail. The stream reports every event and heartbeat (heard); with nothing for two heartbeat
 * intervals, silent() is called once, and the owner reconnects (then arms it again).
 *
 * The interval is learned from two heartbeats in a row on one connection, never above
 * MAX_HEARTBEAT_MS (until then, MAX_HEARTBEAT_MS): by the server's own time stamps when the
 * heartbeats carry them (`heartbeat <ISO time>`; the shortest gap seen, since a page busy drawing
 * reads them late and in bunches, and a stream that skipped a beat shows a double gap), else by
 * their arrival here (the longest gap seen, which a late read can only lengthen).
 */
export class StreamWatchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private intervalMs: number | undefined;
  private stampedIntervalMs: number | undefined;
  private lastHeartbeatAt: number | undefined;
  private lastStamp: number | undefined;

  constructor(
    private readonly silent: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The silence, in ms, after which the stream counts as frozen now. */
  get limitMs(): number {
    const interval = this.stampedIntervalMs ?? this.intervalMs ?? MAX_HEARTBEAT_MS;
    return interval * INTERVALS_OF_SILENCE + SLACK_MS;
  }

  /** Starts (or restarts) watching a new connection. */
  arm(): void {
    this.lastHeartbeatAt = undefined;
    this.lastStamp = undefined;
    this.restart();
  }

  /**
   * The stream said something: an event (heartbeat false), or a comment heartbeat (true) with its
   * text (`heartbeat 2026-01-01T00:00:00.000Z` from this server).
   */
  heard(heartbeat: boolean, comment = ''): void {
    if (this.timer === undefined) return;
    if (heartbeat) {
      const at = this.now();
      if (this.lastHeartbeatAt !== undefined) {
        const gap = Math.min(MAX_HEARTBEAT_MS, Math.max(1, at - this.lastHeartbeatAt));
        this.intervalMs = Math.max(this.intervalMs ?? 0, gap);
      }
      this.lastHeartbeatAt = at;
      const stamp = Date.parse(/^heartbeat (\S+)/.exec(comment)?.[1] ?? '');
      if (!Number.isNaN(stamp)) {
        if (this.lastStamp !== undefined && stamp > this.lastStamp) {
          const gap = Math.min(MAX_HEARTBEAT_MS, stamp - this.lastStamp);
          this.stampedIntervalMs = Math.min(this.stampedIntervalMs ?? MAX_HEARTBEAT_MS, gap);
        }
        this.lastStamp = stamp;
      }
    }
    this.restart();
  }

  /** Stops watching (the stream closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.silent();
    }, this.limitMs);
  }
}
