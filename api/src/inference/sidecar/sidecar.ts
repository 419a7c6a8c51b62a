import type { SidecarTransport } from '../client/sidecar-transport';
import type { InferenceHealth } from '../inference.repository';

/**
 * What the repository needs from "a sidecar", whoever runs it: a connection for one job at a
 * time, its health, readiness and a restart. Two implementations, chosen in InferenceModule:
 * ManagedSidecar (this api spawns and supervises the process) and RemoteSidecar (INFERENCE_URL,
 * a sidecar already running elsewhere).
 */
export abstract class Sidecar {
  /** Begins: spawns (managed) or connects (remote), then watches its health. Idempotent. */
  abstract start(): void;

  /** Ends for good; a managed process gets SIGTERM, then SIGKILL after the grace. Idempotent. */
  abstract stop(): Promise<void>;

  /** Last known health; cheap, never blocks on a running job. */
  abstract health(): InferenceHealth;

  /**
   * Waits until the sidecar is ready and no other job holds it, then holds it for one job.
   * Rejects with InferenceError TIMEOUT at deadlineAt (clock ms), CANCELLED when the signal
   * aborts, UNAVAILABLE when the engine failed to load or the api is stopping.
   */
  abstract acquire(deadlineAt: number, signal?: AbortSignal): Promise<SidecarLease>;

  /**
   * Ends a job's hold. interruption (why the api ended the job itself, or null): an interrupted
   * job must leave the sidecar ready within jobStopGraceMs, else a managed one is replaced.
   */
  abstract release(lease: SidecarLease, interruption: string | null): void;

  /**
   * Resolves when the sidecar is ready (or runs our job); rejects with UNAVAILABLE after
   * timeoutMs, with CANCELLED as soon as `signal` aborts (a cancelled job, a graceful stop).
   */
  abstract waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void>;

  /** Ops restart: graceful waits for the running job, then SIGTERM; force kills at once. */
  abstract restart(options: { force: boolean }): Promise<void>;
}

/**
 * Says that the process behind a lease exited, with how (e.g. "killed by SIGKILL") and whether an
 * operator's forced restart killed it; returns an unsubscribe.
 */
export type ExitWatch = (listener: (description: string, byOperator: boolean) => void) => () => void;

/** A job's hold on the sidecar, from acquire() to release(). */
export interface SidecarLease {
  readonly transport: SidecarTransport;
  /** The exit of the process serving this job; null when it runs elsewhere and its exit is not seen. */
  readonly watchExit: ExitWatch | null;
}

/** Where sidecar supervision logs (Nest's Logger in production, a memory logger in specs). */
export interface SidecarLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Timings of sidecar supervision, in milliseconds. */
export interface SidecarOptions {
  /** Health check period while the sidecar is ready or running our job. */
  healthIntervalMs: number;
  healthTimeoutMs: number;
  /** Consecutive unanswered health checks after which a sidecar is judged unresponsive. */
  unhealthyAfterFailures: number;
  /** Health check period while starting, loading, or waiting for an interrupted job to stop. */
  startupPollMs: number;
  /** From spawn to READY (TRELLIS.2 loads for minutes); past it a managed sidecar is restarted. */
  readyTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A sidecar ready this long before it crashed restarts with the initial backoff again. */
  healthyResetMs: number;
  /** SIGTERM to SIGKILL, on shutdown and graceful restart. */
  stopGraceMs: number;
  /** After a timed-out or cancelled job, how long the sidecar has to become ready before it is killed. */
  jobStopGraceMs: number;
}

/** readyTimeoutMs is replaced by INFERENCE_READY_TIMEOUT_S in InferenceModule. */
export const DEFAULT_SIDECAR_OPTIONS: SidecarOptions = {
  healthIntervalMs: 5_000,
  healthTimeoutMs: 2_000,
  unhealthyAfterFailures: 3,
  startupPollMs: 250,
  readyTimeoutMs: 20 * 60_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  healthyResetMs: 60_000,
  stopGraceMs: 10_000,
  jobStopGraceMs: 5_000,
};

/** Optional provider: overrides of DEFAULT_SIDECAR_OPTIONS (tests use short ones). */
export const SIDECAR_OPTIONS = Symbol('SIDECAR_OPTIONS');
