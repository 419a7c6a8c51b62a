import { Clock } from '../../common/clock';
import type { AuthState__Output } from '../generated/kiln3d/inference/v1/AuthState';
import type { HealthResponse__Output } from '../generated/kiln3d/inference/v1/HealthResponse';
import type { ServingState__Output } from '../generated/kiln3d/inference/v1/ServingState';
import { InferenceError, InferenceHealth, SidecarState } from '../inference.repository';
import type { SidecarLease, SidecarLogger } from './sidecar';

/** What /api/health and the log say when the sidecar's Health reports it would refuse this api's secret. */
const AUTH_REFUSALS: Partial<Record<AuthState__Output, string>> = {
  AUTH_MISSING:
    'the sidecar requires a secret and this api sends none: set INFERENCE_TOKEN to the sidecar\'s KILN_INFERENCE_TOKEN',
  AUTH_WRONG:
    'the sidecar refuses this api\'s INFERENCE_TOKEN (wrong secret): it must equal the sidecar\'s KILN_INFERENCE_TOKEN',
};

/** The sidecar's own serving state (proto ServingState) as the api's state; an unset one is still loading. */
const SERVING_STATES: Record<ServingState__Output, SidecarState> = {
  SERVING_STATE_UNSPECIFIED: 'loading',
  LOADING: 'loading',
  READY: 'ready',
  BUSY: 'busy',
  FAILED: 'failed',
};

/**
 * What the api knows of its sidecar, managed or remote: its state with a message, the last
 * Health answer, and the one job that may hold it. Each change wakes whoever waits (jobs waiting
 * for ready, restarts waiting for the job); a change of state is logged once, when it happens.
 */
export class SidecarStatus {
  private current: SidecarState = 'down';
  private currentMessage = 'not started';
  private health: HealthResponse__Output | null = null;
  private started = false;
  private stopping = false;
  private jobActive = false;
  /** A graceful restart waits for the running job: no new job may start meanwhile. */
  private admissionPaused = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: SidecarLogger,
  ) {}

  get state(): SidecarState {
    return this.current;
  }

  get message(): string {
    return this.currentMessage;
  }

  /** The sidecar's last Health answer, or null before the first. */
  get lastHealth(): HealthResponse__Output | null {
    return this.health;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** A job holds the sidecar (from acquire to release). */
  get hasJob(): boolean {
    return this.jobActive;
  }

  /** Marks the start; false when it already started or is stopping. */
  begin(): boolean {
    if (this.started || this.stopping) return false;
    this.started = true;
    return true;
  }

  /** Marks the stop: waiting jobs fail with UNAVAILABLE, no state change is logged as a fault. */
  beginStop(): void {
    this.stopping = true;
    this.notify();
  }

  /** While paused, acquire() waits even when the sidecar is ready. */
  pauseAdmission(paused: boolean): void {
    this.admissionPaused = paused;
    this.notify();
  }

  set(state: SidecarState, message: string): void {
    const previous = this.current;
    this.current = state;
    this.currentMessage = message;
    if (state !== previous) {
      // ready <-> busy is every job's routine: the queue logs jobs itself.
      const routine = (previous === 'ready' && state === 'busy') || (previous === 'busy' && state === 'ready');
      const level = state === 'failed' || (state === 'down' && !this.stopping) ? 'warn' : routine ? 'debug' : 'log';
      const detail = state === 'ready' && this.health ? ` (engine ${this.health.engine}, ${this.health.device})` : '';
      this.logger[level](`inference sidecar ${previous} -> ${state}${detail}: ${message}`);
    }
    this.notify();
  }

  /**
   * Takes a Health answer: the sidecar's serving state becomes ours, except that a sidecar
   * running our job is busy whatever it says. Returns the serving state it reported.
   */
  recordHealth(health: HealthResponse__Output): SidecarState {
    this.health = health;
    const refusal = AUTH_REFUSALS[health.auth];
    if (refusal !== undefined) {
      // Up, but it will refuse every job: say why by name, not as a generic failure.
      this.set('failed', refusal);
      return 'failed';
    }
    const serving = SERVING_STATES[health.state];
    if (serving === 'ready') {
      if (this.jobActive) this.set('busy', 'running a job');
      else this.set('ready', health.message || 'ready');
    } else if (serving === 'busy') {
      this.set('busy', this.jobActive ? 'running a job' : health.message || 'busy');
    } else {
      this.set(serving, health.message || serving);
    }
    return serving;
  }

  /** The health snapshot; the caller adds what only it knows. */
  snapshot(own: { managed: boolean; pid: number | null; restarts: number }): InferenceHealth {
    const health = this.health;
    return {
      state: this.current,
      engine: health?.engine ?? '',
      device: health?.device ?? '',
      vramUsedBytes: health?.vramUsedBytes ?? 0,
      vramTotalBytes: health?.vramTotalBytes ?? 0,
      jobsDone: health?.jobsDone ?? 0,
      texturing: health?.texturing ?? '',
      unusedGenerationOptions: health?.unusedGenerationOptions ?? [],
      unusedTextureOptions: health?.unusedTextureOptions ?? [],
      message: this.currentMessage,
      ...own,
    };
  }

  /**
   * Holds the sidecar for one job once it is ready and free (see Sidecar.acquire); connection()
   * gives the lease, or null while there is no connection to give.
   */
  async acquire(deadlineAt: number, signal: AbortSignal | undefined, connection: () => SidecarLease | null): Promise<SidecarLease> {
    for (;;) {
      if (signal?.aborted) throw new InferenceError('CANCELLED', 'Job cancelled before it started');
      if (this.stopping || !this.started) {
        throw new InferenceError('UNAVAILABLE', 'Inference sidecar is not running (the api is stopping)');
      }
      if (this.current === 'failed') {
        throw new InferenceError('UNAVAILABLE', `Inference sidecar cannot take jobs: ${this.currentMessage}`);
      }
      const lease = this.current === 'ready' && !this.jobActive && !this.admissionPaused ? connection() : null;
      if (lease !== null) {
        this.jobActive = true;
        this.set('busy', 'running a job');
        return lease;
      }
      const remaining = deadlineAt - this.clock.now();
      if (remaining <= 0) {
        throw new InferenceError(
          'TIMEOUT',
          `Generation timeout: the inference sidecar was not ready in time (${this.current}: ${this.currentMessage})`,
        );
      }
      await this.nextChange(Math.min(remaining, 1_000), signal);
    }
  }

  /**
   * Ends the job's hold. sameProcess: the lease's process still serves. Returns true when the
   * job was interrupted and the sidecar, still busy, must now be watched (waitForJobStop).
   */
  release(sameProcess: boolean, interruption: string | null): boolean {
    this.jobActive = false;
    const watch = sameProcess && this.current === 'busy';
    if (watch) {
      this.set('busy', interruption ? `waiting for the job to stop (${interruption})` : 'finishing the job');
    }
    this.notify();
    return watch && interruption !== null;
  }

  /**
   * After an interrupted job: resolves true once the sidecar is no longer busy with it (or the
   * process changed, the api stops, a new job began), false if it is still busy after graceMs.
   */
  async waitForJobStop(graceMs: number, sameProcess: () => boolean): Promise<boolean> {
    const deadline = this.clock.now() + graceMs;
    while (sameProcess() && !this.stopping && this.current === 'busy' && !this.jobActive) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return false;
      await this.nextChange(remaining);
    }
    return true;
  }

  /** See Sidecar.waitUntilReady. */
  async waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw new InferenceError('CANCELLED', 'Cancelled while waiting for the inference sidecar');
      if (this.current === 'ready' || (this.current === 'busy' && this.jobActive)) return;
      if (this.current === 'failed') {
        throw new InferenceError('UNAVAILABLE', `Inference sidecar cannot take jobs: ${this.currentMessage}`);
      }
      if (this.stopping) throw new InferenceError('UNAVAILABLE', 'Inference sidecar is stopping');
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) {
        throw new InferenceError(
          'UNAVAILABLE',
          `Inference sidecar not ready after ${Math.round(timeoutMs / 1000)} s (${this.current}: ${this.currentMessage})`,
        );
      }
      await this.nextChange(Math.min(remaining, 1_000), signal);
    }
  }

  /** Resolves on the next change, after ms, or when the signal aborts. */
  nextChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = new AbortController();
      const wake = (): void => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        done.abort();
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
      void this.clock.sleep(ms, done.signal).then(wake);
    });
  }

  /** Wakes every waiter (something they may be waiting for changed). */
  notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
