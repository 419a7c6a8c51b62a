import { rmSync } from 'node:fs';
import { Clock, TimerHandle } from '../common/clock';
import type { HealthResponse__Output } from './generated/kiln3d/inference/v1/HealthResponse';
import { InferenceError, InferenceHealth, SidecarState } from './inference.repository';
import { SidecarExit, SidecarLauncher, SidecarProcess, SidecarSpawnSpec } from './sidecar-process';
import { SidecarTransport, SidecarTransportFactory } from './sidecar-transport';

export interface SupervisorOptions {
  /** Health check period while the sidecar is ready or running our job. */
  healthIntervalMs: number;
  healthTimeoutMs: number;
  /** Consecutive unanswered health checks after which a managed sidecar is killed and restarted. */
  unhealthyAfterFailures: number;
  /** Health check period while starting, loading, or waiting for an interrupted job to stop. */
  startupPollMs: number;
  /** From spawn to READY (TRELLIS.2 loads for minutes); past it the sidecar is restarted. */
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

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
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

/** Exit code by which the sidecar asks for a planned recycle (e.g. VRAM grew past its threshold). */
export const RECYCLE_EXIT_CODE = 75;

export interface SupervisorLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Where the managed sidecar comes from; absent with INFERENCE_URL. */
export interface ManagedSidecarSpec {
  launcher: SidecarLauncher;
  command: string;
  args: string[];
  cwd: string;
  /** Called at each spawn, so a restart picks up the environment of that moment. */
  env: () => Record<string, string>;
  /** A unix socket file to remove before each spawn (a stale one from a killed process). */
  socketPath?: string;
}

export interface SupervisorDeps {
  address: string;
  managed: ManagedSidecarSpec | null;
  transportFactory: SidecarTransportFactory;
  clock: Clock;
  logger: SupervisorLogger;
  /** Receives the sidecar's own stdout/stderr lines. */
  sidecarLogger: SupervisorLogger;
  options: SupervisorOptions;
}

/** A job's hold on the sidecar, from acquire() to release(). */
export interface SidecarLease {
  readonly transport: SidecarTransport;
  readonly generation: number;
}

export type SidecarExitListener = (generation: number, description: string) => void;

const SERVING_STATES: Record<string, SidecarState> = {
  LOADING: 'loading',
  READY: 'ready',
  BUSY: 'busy',
  FAILED: 'failed',
};

export function describeExit(exit: SidecarExit): string {
  if (exit.spawnError !== undefined) return `could not start: ${exit.spawnError}`;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return (error as Error & { details?: string }).details || error.message;
  return String(error);
}

function sidecarLineLevel(line: string): 'log' | 'warn' | 'error' {
  if (/\b(ERROR|CRITICAL|FATAL|Traceback)\b/.test(line)) return 'error';
  if (/\bWARN(ING)?\b/.test(line)) return 'warn';
  return 'log';
}

/**
 * Owns the sidecar's life: spawn, health checks on a timer, restarts with backoff, recycle on
 * exit 75, kill when it stops answering or cannot stop a job, graceful stop. With INFERENCE_URL
 * (no managed spec) it only watches the remote sidecar's health.
 */
export class SidecarSupervisor {
  private state: SidecarState = 'down';
  private message = 'not started';
  private lastHealth: HealthResponse__Output | null = null;
  private process: SidecarProcess | null = null;
  private transport: SidecarTransport | null = null;
  /** Incremented at each spawn; events of an older process are ignored. */
  private generation = 0;
  /** The current process is being stopped on purpose: ignore its health, respawn at once on exit. */
  private retiring = false;
  private started = false;
  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private spawning: Promise<void> | null = null;
  private restarts = 0;
  private backoffMs: number;
  private spawnedAt = 0;
  private healthySince: number | null = null;
  private answeredSinceSpawn = false;
  private consecutiveFailures = 0;
  private jobActive = false;
  private restartPending = false;
  /** The current process's last error line, to say why it died in health and logs. */
  private lastErrorLine: string | null = null;
  private pollTimer: TimerHandle | null = null;
  private pollToken = 0;
  private respawnTimer: TimerHandle | null = null;
  private readonly changeWaiters = new Set<() => void>();
  private readonly exitListeners = new Set<SidecarExitListener>();

  constructor(private readonly deps: SupervisorDeps) {
    this.backoffMs = deps.options.backoffInitialMs;
  }

  get managed(): boolean {
    return this.deps.managed !== null;
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    if (this.deps.managed) {
      void this.spawnNow();
    } else {
      this.transport = this.deps.transportFactory.connect(this.deps.address);
      this.setState('starting', `connecting to ${this.deps.address}`);
      this.schedulePoll(0);
    }
  }

  snapshot(): InferenceHealth {
    const health = this.lastHealth;
    return {
      state: this.state,
      engine: health?.engine ?? '',
      device: health?.device ?? '',
      vramUsedBytes: health?.vramUsedBytes ?? 0,
      vramTotalBytes: health?.vramTotalBytes ?? 0,
      jobsDone: health?.jobsDone ?? 0,
      message: this.message,
      managed: this.managed,
      pid: this.managed ? (this.process?.pid ?? null) : health?.pid || null,
      restarts: this.restarts,
    };
  }

  /** Calls back when the sidecar process (managed) exits; returns an unsubscribe function. */
  onSidecarExit(listener: SidecarExitListener): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /**
   * Waits until the sidecar is ready and no other job holds it, then holds it for one job.
   * Rejects with TIMEOUT at deadlineAt, CANCELLED when the signal aborts, UNAVAILABLE when the
   * engine failed to load or the api is shutting down.
   */
  async acquire(deadlineAt: number, signal?: AbortSignal): Promise<SidecarLease> {
    for (;;) {
      if (signal?.aborted) throw new InferenceError('CANCELLED', 'Job cancelled before it started');
      if (this.stopping || !this.started) {
        throw new InferenceError('UNAVAILABLE', 'Inference sidecar is not running (the api is stopping)');
      }
      if (this.state === 'failed') {
        throw new InferenceError('UNAVAILABLE', `Inference engine failed to load: ${this.message}`);
      }
      if (this.state === 'ready' && !this.jobActive && !this.restartPending && this.transport !== null) {
        this.jobActive = true;
        this.setState('busy', 'running a job');
        return { transport: this.transport, generation: this.generation };
      }
      const remaining = deadlineAt - this.deps.clock.now();
      if (remaining <= 0) {
        throw new InferenceError(
          'TIMEOUT',
          `Generation timeout: the inference sidecar was not ready in time (${this.state}: ${this.message})`,
        );
      }
      await this.waitForChange(Math.min(remaining, 1_000), signal);
    }
  }

  /**
   * Ends a job's hold. An interrupted job (timed out or cancelled) must leave the sidecar ready
   * within jobStopGraceMs; if it does not, the sidecar is killed and a fresh one started.
   */
  release(lease: SidecarLease, interruption: string | null): void {
    this.jobActive = false;
    if (lease.generation === this.generation && this.state === 'busy') {
      this.setState('busy', interruption ? `waiting for the job to stop (${interruption})` : 'finishing the job');
      if (interruption !== null) void this.enforceJobStop(lease.generation, interruption);
    }
    this.notifyChange();
    this.schedulePoll(0);
  }

  /** Resolves when the sidecar is ready (it may then be taken by a job); rejects after timeoutMs. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = this.deps.clock.now() + timeoutMs;
    for (;;) {
      if (this.state === 'ready' || (this.state === 'busy' && this.jobActive)) return;
      if (this.state === 'failed') {
        throw new InferenceError('UNAVAILABLE', `Inference engine failed to load: ${this.message}`);
      }
      if (this.stopping) throw new InferenceError('UNAVAILABLE', 'Inference sidecar is stopping');
      const remaining = deadline - this.deps.clock.now();
      if (remaining <= 0) {
        throw new InferenceError(
          'UNAVAILABLE',
          `Inference sidecar not ready after ${Math.round(timeoutMs / 1000)} s (${this.state}: ${this.message})`,
        );
      }
      await this.waitForChange(Math.min(remaining, 1_000));
    }
  }

  /** Ops restart. Graceful waits for the running job, then SIGTERM; force kills at once. */
  async restart(options: { force: boolean }): Promise<void> {
    if (!this.deps.managed) {
      throw new InferenceError('UNAVAILABLE', 'The inference sidecar is not managed by this api (INFERENCE_URL)');
    }
    if (this.stopping) throw new InferenceError('UNAVAILABLE', 'The api is stopping');
    if (options.force) {
      this.killAndRestart('forced restart requested', 'log');
      return;
    }
    this.restartPending = true;
    this.notifyChange();
    this.deps.logger.log('graceful restart requested: waiting for the running job to finish');
    while (this.jobActive && !this.stopping) await this.waitForChange(1_000);
    const process = this.process;
    if (this.stopping || process === null || this.retiring) {
      this.restartPending = false;
      if (process === null && this.respawnTimer !== null) void this.spawnNow();
      this.notifyChange();
      return;
    }
    this.retiring = true;
    this.restartPending = false;
    this.setState('restarting', 'restart requested');
    process.kill('SIGTERM');
    if (!(await this.exitsWithin(process, this.deps.options.stopGraceMs))) {
      this.deps.logger.warn(`sidecar pid ${process.pid} ignored SIGTERM for ${this.deps.options.stopGraceMs} ms: SIGKILL`);
      process.kill('SIGKILL');
    }
  }

  /** SIGTERM, SIGKILL after the grace; no process is left behind. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    this.pollTimer?.cancel();
    this.respawnTimer?.cancel();
    this.respawnTimer = null;
    this.notifyChange();
    if (this.spawning) await this.spawning;
    const process = this.process;
    if (process !== null) {
      this.deps.logger.log(`stopping sidecar pid ${process.pid}`);
      process.kill('SIGTERM');
      if (!(await this.exitsWithin(process, this.deps.options.stopGraceMs))) {
        this.deps.logger.warn(`sidecar pid ${process.pid} did not stop within ${this.deps.options.stopGraceMs} ms: SIGKILL`);
        process.kill('SIGKILL');
        await this.exitsWithin(process, 5_000);
      }
    }
    this.transport?.close();
    this.transport = null;
    this.process = null;
    this.setState('down', 'stopped');
  }

  private exitsWithin(process: SidecarProcess, ms: number): Promise<boolean> {
    const timeout = new AbortController();
    return Promise.race([
      process.exited.then(() => true),
      this.deps.clock.sleep(ms, timeout.signal).then(() => false),
    ]).finally(() => timeout.abort());
  }

  private spawnNow(): Promise<void> {
    this.respawnTimer?.cancel();
    this.respawnTimer = null;
    const spawning = this.spawn().finally(() => {
      if (this.spawning === spawning) this.spawning = null;
    });
    this.spawning = spawning;
    return spawning;
  }

  private async spawn(): Promise<void> {
    const spec = this.deps.managed;
    if (spec === null || this.stopping) return;
    const generation = ++this.generation;
    this.retiring = false;
    this.answeredSinceSpawn = false;
    this.consecutiveFailures = 0;
    this.healthySince = null;
    this.lastErrorLine = null;
    this.setState('starting', 'starting the sidecar process');
    let process: SidecarProcess;
    try {
      if (spec.socketPath !== undefined) rmSync(spec.socketPath, { force: true });
      const launch: SidecarSpawnSpec = {
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: spec.env(),
        onLine: (_stream, line) => {
          const level = sidecarLineLevel(line);
          if (level === 'error' && generation === this.generation) this.lastErrorLine = line.slice(0, 300);
          this.deps.sidecarLogger[level](line);
        },
      };
      process = await spec.launcher.launch(launch);
    } catch (error) {
      this.onExit(generation, { code: null, signal: null, spawnError: errorText(error) }, undefined);
      return;
    }
    if (generation !== this.generation || this.stopping) {
      process.kill('SIGKILL');
      return;
    }
    this.process = process;
    this.spawnedAt = this.deps.clock.now();
    this.transport = this.deps.transportFactory.connect(this.deps.address);
    this.deps.logger.log(`sidecar started: pid ${process.pid}, listening on ${this.deps.address}`);
    void process.exited.then((exit) => this.onExit(generation, exit, process.pid));
    this.schedulePoll(this.deps.options.startupPollMs);
  }

  private onExit(generation: number, exit: SidecarExit, pid: number | undefined): void {
    if (generation !== this.generation) return;
    const description = describeExit(exit);
    this.transport?.close();
    this.transport = null;
    this.process = null;
    for (const listener of [...this.exitListeners]) listener(generation, description);
    if (this.stopping) {
      this.notifyChange();
      return;
    }
    const planned = this.retiring;
    this.retiring = false;
    this.restarts += 1;
    if (planned) {
      this.deps.logger.log(`sidecar pid ${pid} stopped (${description}); starting a fresh one`);
      void this.spawnNow();
      return;
    }
    if (exit.code === RECYCLE_EXIT_CODE) {
      this.deps.logger.log(`sidecar pid ${pid} asked to be recycled (exit ${RECYCLE_EXIT_CODE}); restarting at once`);
      this.setState('restarting', 'planned recycle');
      void this.spawnNow();
      return;
    }
    const now = this.deps.clock.now();
    if (this.healthySince !== null && now - this.healthySince >= this.deps.options.healthyResetMs) {
      this.backoffMs = this.deps.options.backoffInitialMs;
    }
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.deps.options.backoffMaxMs);
    const why = this.lastErrorLine === null ? '' : ` (last error: ${this.lastErrorLine})`;
    this.deps.logger.error(
      `sidecar ${pid === undefined ? '' : `pid ${pid} `}${description}; restarting in ${delay} ms${why}`,
    );
    this.setState('restarting', `sidecar ${description}${why}; restarting in ${Math.ceil(delay / 1000)} s`);
    this.respawnTimer = this.deps.clock.setTimer(() => void this.spawnNow(), delay);
  }

  /** Kills the managed sidecar (SIGKILL) and starts a fresh one at once. */
  private killAndRestart(reason: string, level: 'log' | 'warn' = 'warn'): void {
    if (this.stopping) return;
    if (!this.deps.managed) {
      this.deps.logger.warn(`${reason}; the sidecar is not managed by this api, so it cannot be restarted`);
      return;
    }
    const process = this.process;
    if (process === null) {
      if (this.respawnTimer !== null) void this.spawnNow();
      return;
    }
    if (this.retiring) {
      process.kill('SIGKILL');
      return;
    }
    this.retiring = true;
    this.deps.logger[level](`${reason}: killing sidecar pid ${process.pid} and starting a fresh one`);
    this.setState('restarting', reason);
    process.kill('SIGKILL');
  }

  private async enforceJobStop(generation: number, interruption: string): Promise<void> {
    const grace = this.deps.options.jobStopGraceMs;
    const deadline = this.deps.clock.now() + grace;
    while (generation === this.generation && !this.stopping && this.state === 'busy' && !this.jobActive) {
      const remaining = deadline - this.deps.clock.now();
      if (remaining <= 0) {
        this.killAndRestart(`the sidecar did not stop its job within ${grace} ms after ${interruption}`);
        return;
      }
      await this.waitForChange(remaining);
    }
  }

  private schedulePoll(delayMs: number): void {
    this.pollTimer?.cancel();
    if (this.stopping) return;
    const token = ++this.pollToken;
    this.pollTimer = this.deps.clock.setTimer(() => {
      void this.probe().then(() => {
        if (token === this.pollToken) this.schedulePoll(this.pollDelay());
      });
    }, delayMs);
  }

  private pollDelay(): number {
    const { healthIntervalMs, startupPollMs } = this.deps.options;
    if (this.state === 'ready' || (this.state === 'busy' && this.jobActive)) return healthIntervalMs;
    if (this.state === 'down' || this.state === 'failed') return Math.min(healthIntervalMs, 1_000);
    return startupPollMs;
  }

  /** One health check; never rejects. */
  private async probe(): Promise<void> {
    const transport = this.transport;
    const generation = this.generation;
    if (transport === null || this.stopping) return;
    const current = (): boolean => generation === this.generation && !this.retiring && !this.stopping;
    try {
      const health = await transport.health(this.deps.options.healthTimeoutMs);
      if (current()) this.onHealth(health);
    } catch (error) {
      if (current()) this.onProbeFailure(error);
    }
  }

  private onHealth(health: HealthResponse__Output): void {
    this.answeredSinceSpawn = true;
    this.consecutiveFailures = 0;
    this.lastHealth = health;
    const state = SERVING_STATES[health.state] ?? 'loading';
    if (state === 'ready') {
      this.healthySince ??= this.deps.clock.now();
      if (this.jobActive) this.setState('busy', 'running a job');
      else this.setState('ready', health.message || 'ready');
      return;
    }
    if (state === 'busy') {
      this.setState('busy', this.jobActive ? 'running a job' : health.message || 'busy');
      return;
    }
    this.setState(state, health.message || state);
    if (state === 'loading' && this.deps.managed) this.checkReadyTimeout();
  }

  private onProbeFailure(error: unknown): void {
    const detail = errorText(error);
    if (!this.deps.managed) {
      this.consecutiveFailures += 1;
      const known = this.state === 'ready' || this.state === 'busy' || this.state === 'loading';
      if (!known || this.consecutiveFailures >= this.deps.options.unhealthyAfterFailures) {
        this.setState('down', `${this.deps.address} unreachable: ${detail}`);
      }
      return;
    }
    if (!this.answeredSinceSpawn) {
      this.checkReadyTimeout();
      return;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.deps.options.unhealthyAfterFailures) {
      this.killAndRestart(`the sidecar did not answer ${this.consecutiveFailures} health checks in a row (${detail})`);
    }
  }

  private checkReadyTimeout(): void {
    const elapsed = this.deps.clock.now() - this.spawnedAt;
    if (elapsed > this.deps.options.readyTimeoutMs) {
      this.killAndRestart(`the sidecar was not ready ${Math.round(elapsed / 1000)} s after it started`);
    }
  }

  private setState(state: SidecarState, message: string): void {
    const changed = state !== this.state;
    const previous = this.state;
    this.state = state;
    this.message = message;
    if (changed) {
      // ready <-> busy is every job's routine: the queue logs jobs itself.
      const routine = (previous === 'ready' && state === 'busy') || (previous === 'busy' && state === 'ready');
      const level = state === 'failed' || (state === 'down' && !this.stopping) ? 'warn' : routine ? 'debug' : 'log';
      const detail = state === 'ready' && this.lastHealth ? ` (engine ${this.lastHealth.engine}, ${this.lastHealth.device})` : '';
      this.deps.logger[level](`inference sidecar ${previous} -> ${state}${detail}: ${message}`);
    }
    this.notifyChange();
  }

  private notifyChange(): void {
    const waiters = [...this.changeWaiters];
    this.changeWaiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next state change, after ms, or when the signal aborts. */
  private waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = new AbortController();
      const wake = (): void => {
        this.changeWaiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        done.abort();
        resolve();
      };
      this.changeWaiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
      void this.deps.clock.sleep(ms, done.signal).then(wake);
    });
  }
}
