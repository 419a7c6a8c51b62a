import { Clock, TimerHandle } from '../../common/clock';
import { type SidecarTransport, grpcDetails } from '../client/sidecar-transport';
import type { HealthResponse__Output } from '../generated/kiln3d/inference/v1/HealthResponse';
import type { SidecarState } from '../inference.repository';
import type { SidecarOptions } from './sidecar';

/** What one health check says about the sidecar. */
export type HealthVerdict =
  /** It answered (any serving state). */
  | { kind: 'answered'; health: HealthResponse__Output }
  /** No answer yet on this connection: the sidecar is still starting (or not there). */
  | { kind: 'silent'; detail: string }
  /** It answered before and now missed `failures` checks in a row, fewer than the limit. */
  | { kind: 'missed'; failures: number; detail: string }
  /** It answered before and now missed the limit of checks in a row (or more). */
  | { kind: 'unresponsive'; failures: number; detail: string };

export type HealthMonitorOptions = Pick<
  SidecarOptions,
  'healthIntervalMs' | 'healthTimeoutMs' | 'unhealthyAfterFailures' | 'startupPollMs'
>;

/** The next check's delay: the full period when all is well, quick while things change. */
export function healthCheckDelay(state: SidecarState, hasJob: boolean, options: HealthMonitorOptions): number {
  if (state === 'ready' || (state === 'busy' && hasJob)) return options.healthIntervalMs;
  if (state === 'down' || state === 'failed') return Math.min(options.healthIntervalMs, 1_000);
  return options.startupPollMs;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return grpcDetails(error);
  return String(error);
}

/**
 * The health loop of one connection (one process, for a managed sidecar): calls Health on a
 * timer, judges each result into a HealthVerdict and hands it to onVerdict. After stop(), nothing
 * more is checked or reported, not even an answer already on its way.
 */
export class HealthMonitor {
  private timer: TimerHandle | null = null;
  private stopped = false;
  private answered = false;
  private failures = 0;

  /** nextDelay: ms until the next check, asked after each one (see healthCheckDelay). */
  constructor(
    private readonly transport: SidecarTransport,
    private readonly clock: Clock,
    private readonly options: HealthMonitorOptions,
    private readonly nextDelay: () => number,
    private readonly onVerdict: (verdict: HealthVerdict) => void,
  ) {}

  /** Checks after delayMs (0: now), then every nextDelay(); replaces any check already planned. */
  checkIn(delayMs: number): void {
    this.timer?.cancel();
    if (this.stopped) return;
    const timer = this.clock.setTimer(() => {
      void this.check().then(() => {
        if (this.timer === timer) this.checkIn(this.nextDelay());
      });
    }, delayMs);
    this.timer = timer;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One check; never rejects. */
  private async check(): Promise<void> {
    let verdict: HealthVerdict;
    try {
      const health = await this.transport.health(this.options.healthTimeoutMs);
      this.answered = true;
      this.failures = 0;
      verdict = { kind: 'answered', health };
    } catch (error) {
      verdict = this.judgeFailure(errorText(error));
    }
    if (!this.stopped) this.onVerdict(verdict);
  }

  private judgeFailure(detail: string): HealthVerdict {
    if (!this.answered) return { kind: 'silent', detail };
    this.failures += 1;
    return this.failures >= this.options.unhealthyAfterFailures
      ? { kind: 'unresponsive', failures: this.failures, detail }
      : { kind: 'missed', failures: this.failures, detail };
  }
}
