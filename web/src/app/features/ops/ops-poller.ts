/** What the poller needs of its surroundings (the page's document and timers; a test's fakes). */
export interface PollerHost {
  /** True while the page is hidden (document.hidden): no request is made then. */
  hidden(): boolean;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Polls on a fixed rhythm without piling up: the next request is scheduled only once the last
 * one settled (the request itself has its own timeout), none runs while the page is hidden, and
 * showing the page again polls at once. `poll` never rejects (a rejection is swallowed).
 */
export class Poller {
  private handle: unknown;
  private running = false;
  private stopped = true;

  constructor(
    private readonly poll: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly host: PollerHost,
  ) {}

  /** Polls now, then every intervalMs after each answer. */
  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** No further poll (one in flight still settles). */
  stop(): void {
    this.stopped = true;
    this.host.clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** Polls now (the page shown again, an action done), unless one is in flight. */
  now(): void {
    if (this.stopped) return;
    this.host.clearTimeout(this.handle);
    this.handle = undefined;
    void this.tick();
  }

  /** The page's visibility changed: hidden stops the rhythm, shown polls at once. */
  visibilityChanged(): void {
    if (this.host.hidden()) {
      this.host.clearTimeout(this.handle);
      this.handle = undefined;
    } else {
      this.now();
    }
  }

  /** True while a poll is in flight. */
  get inFlight(): boolean {
    return this.running;
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped || this.host.hidden()) return;
    this.running = true;
    try {
      await this.poll();
    } catch {
      // The poll reports its own failures; the rhythm goes on.
    } finally {
      this.running = false;
    }
    if (this.stopped || this.host.hidden()) return;
    this.host.clearTimeout(this.handle);
    this.handle = this.host.setTimeout(() => void this.tick(), this.intervalMs);
  }
}
