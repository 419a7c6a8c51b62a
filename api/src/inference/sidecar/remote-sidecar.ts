import { Clock } from '../../common/clock';
import { SidecarTransportFactory } from '../client/sidecar-transport';
import { InferenceError, InferenceHealth } from '../inference.repository';
import { HealthMonitor, HealthVerdict, healthCheckDelay } from './health-monitor';
import { Sidecar, SidecarLease, SidecarLogger, SidecarOptions } from './sidecar';
import { SidecarStatus } from './sidecar-status';

export interface RemoteSidecarDeps {
  /** INFERENCE_URL: host:port or unix:///path. */
  address: string;
  transports: SidecarTransportFactory;
  clock: Clock;
  logger: SidecarLogger;
  options: SidecarOptions;
}

/**
 * A sidecar already running elsewhere (INFERENCE_URL): this api connects, watches its health and
 * runs jobs on it, but never starts, stops or restarts it. Unreachable, it is down; answering
 * again, it is back.
 */
export class RemoteSidecar extends Sidecar {
  private readonly status: SidecarStatus;
  private lease: SidecarLease | null = null;
  private monitor: HealthMonitor | null = null;
  private stopped = false;

  constructor(private readonly deps: RemoteSidecarDeps) {
    super();
    this.status = new SidecarStatus(deps.clock, deps.logger);
  }

  start(): void {
    if (!this.status.begin()) return;
    const { address, options } = this.deps;
    const transport = this.deps.transports.connect(address);
    this.lease = { transport, watchExit: null };
    this.monitor = new HealthMonitor(
      transport,
      this.deps.clock,
      options,
      () => healthCheckDelay(this.status.state, this.status.hasJob, options),
      (verdict) => this.onVerdict(verdict),
    );
    this.status.set('starting', `connecting to ${address}`);
    this.monitor.checkIn(0);
  }

  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.status.beginStop();
    this.monitor?.stop();
    this.lease?.transport.close();
    this.lease = null;
    this.status.set('down', 'stopped');
    return Promise.resolve();
  }

  /** The pid is the remote sidecar's own, as its Health answer says. */
  health(): InferenceHealth {
    return this.status.snapshot({ managed: false, pid: this.status.lastHealth?.pid || null, restarts: 0 });
  }

  acquire(deadlineAt: number, signal?: AbortSignal): Promise<SidecarLease> {
    return this.status.acquire(deadlineAt, signal, () => this.lease);
  }

  release(lease: SidecarLease, interruption: string | null): void {
    if (this.status.release(lease === this.lease, interruption) && interruption !== null) {
      void this.watchJobStop(lease, interruption);
    }
    this.monitor?.checkIn(0);
  }

  waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.status.waitUntilReady(timeoutMs, signal);
  }

  restart(): Promise<void> {
    return Promise.reject(
      new InferenceError('UNAVAILABLE', 'The inference sidecar is not managed by this api (INFERENCE_URL)'),
    );
  }

  private onVerdict(verdict: HealthVerdict): void {
    if (verdict.kind === 'answered') {
      this.status.recordHealth(verdict.health);
      return;
    }
    // A sidecar known to be up may miss a few checks; one not known to be up is down at once.
    const state = this.status.state;
    const knownUp = state === 'ready' || state === 'busy' || state === 'loading';
    if (verdict.kind === 'unresponsive' || verdict.kind === 'silent' || !knownUp) {
      this.status.set('down', `${this.deps.address} unreachable: ${verdict.detail}`);
    }
  }

  /** It cannot be killed from here: a job it does not stop is only reported. */
  private async watchJobStop(lease: SidecarLease, interruption: string): Promise<void> {
    const grace = this.deps.options.jobStopGraceMs;
    if (!(await this.status.waitForJobStop(grace, () => lease === this.lease))) {
      this.deps.logger.warn(
        `the sidecar did not stop its job within ${grace} ms after ${interruption}; ` +
          'the sidecar is not managed by this api, so it cannot be restarted',
      );
    }
  }
}
