/** What one poll found: an answer (the task goes on), no answer (back off), or the end. */
export type PollVerdict = 'answered' | 'unanswered' | 'done';

/** Waits between polls while the server answers: once a second at most (docs/design.md). */
const ANSWERED_DELAY_MS = 1000;
/** Waits after polls that got no answer, one more step each time, the last one repeated. */
const BACKOFF_DELAYS_MS = [2000, 4000, 8000, 15_000];

/**
 * Polls one task, one request at a time: the next poll is scheduled only once the previous one
 * has settled (each request has its own time limit, so none holds the loop for ever), and a
 * pollNow() while one is in flight shares it rather than sending another. Polls that get no
 * answer back off; an answer resets the pace to once a second.
 */
export class TaskPoller {
  private running = false;
  private inFlight: Promise<PollVerdict> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private misses = 0;

  constructor(private readonly ask: () => Promise<PollVerdict>) {}

  /** Whether the polling loop is on (start() until stop() or the end). */
  get active(): boolean {
    return this.running;
  }

  /** Starts the polling loop at once, unless it is on already. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.misses = 0;
    void this.tick();
  }

  /** Stops the loop; a poll in flight still settles, but schedules nothing. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One poll now, or the one already in flight. */
  pollNow(): Promise<PollVerdict> {
    if (this.inFlight) return this.inFlight;
    const poll = this.ask()
      .catch((): PollVerdict => 'unanswered')
      .finally(() => {
        this.inFlight = undefined;
      });
    this.inFlight = poll;
    return poll;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    const verdict = await this.pollNow();
    if (!this.running) return;
    if (verdict === 'done') {
      this.stop();
      return;
    }
    if (verdict === 'answered') {
      this.misses = 0;
    } else {
      this.misses += 1;
    }
    const delay =
      verdict === 'answered'
        ? ANSWERED_DELAY_MS
        : (BACKOFF_DELAYS_MS[Math.min(this.misses, BACKOFF_DELAYS_MS.length) - 1] ?? ANSWERED_DELAY_MS);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }
}
