import { rmSync } from 'node:fs';
import { Clock, TimerHandle } from '../../common/clock';
import { SidecarTransport, SidecarTransportFactory } from '../client/sidecar-transport';
import { InferenceError, InferenceHealth } from '../inference.repository';
import { HealthMonitor, HealthVerdict, healthCheckDelay } from './health-monitor';
import { RestartBackoff } from './restart-backoff';
import { ExitWatch, Sidecar, SidecarLease, SidecarLogger, SidecarOptions } from './sidecar';
import {
  RECYCLE_EXIT_CODE,
  SidecarExit,
  SidecarLauncher,
  SidecarOutput,
  SidecarProcess,
  describeExit,
  exitsWithin,
  terminate,
} from './sidecar-process';
import { SidecarStatus } from './sidecar-status';
import { errorMessage } from '../../common/error-message';

/** What the managed sidecar runs and where it listens. */
export interface ManagedSidecarSpec {
  launcher: SidecarLauncher;
  /** Where it listens and the api connects (unix:///path). */
  address: string;
  command: string;
  args: string[];
  cwd: string;
  /** Called at each spawn, so a restart picks up the environment of that moment. */
  env: () => Record<string, string>;
  /** A unix socket file to remove before each spawn (a stale one from a killed process). */
  socketPath?: string;
  /** A folder made for this sidecar alone (its socket's), removed once it has stopped. */
  ownedDir?: string;
}

export interface ManagedSidecarDeps {
  spec: ManagedSidecarSpec;
  transports: SidecarTransportFactory;
  clock: Clock;
  logger: SidecarLogger;
  /** Receives the sidecar's own stdout/stderr lines. */
  sidecarLogger: SidecarLogger;
  options: SidecarOptions;
}

/** One spawned process and what belongs to it alone; it is the lease of the jobs it serves. */
class SpawnedSidecar implements SidecarLease {
  /** Being stopped on purpose: its health no longer counts and its exit respawns at once. */
  retiring = false;
  /** Killed by an operator's forced restart: its job is told so (GenerateCall: RESTARTED). */
  killedByOperator = false;
  private readonly exitListeners = new Set<(description: string, byOperator: boolean) => void>();

  constructor(
    readonly process: SidecarProcess,
    readonly transport: SidecarTransport,
    readonly monitor: HealthMonitor,
    readonly output: SidecarOutput,
    /** Clock ms of the spawn, for the READY timeout. */
    readonly spawnedAt: number,
  ) {}

  readonly watchExit: ExitWatch = (listener) => {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  };

  retire(): void {
    this.retiring = true;
    this.monitor.stop();
  }

  /** Closes what belonged to the process and tells its jobs how it ended. */
  ended(description: string): void {
    this.monitor.stop();
    this.transport.close();
    for (const listener of [...this.exitListeners]) listener(description, this.killedByOperator);
  }
}

/**
 * Exits in a row of processes that never reached ready (a bad KILN_* setting, a broken venv)
 * after which the sidecar is `failed`, not `restarting`: jobs fail at once (503
 * engine_unavailable) and /api/health answers 503, while it is still tried again with backoff.
 */
export const CRASH_LOOP_STARTS = 3;

/**
 * A sidecar this api spawns and supervises: spawn, restarts with backoff after a crash, at once
 * after a planned recycle (exit 75) or a kill; killed when it is not READY within readyTimeoutMs,
 * stops answering health checks, or cannot stop an interrupted job; graceful or forced restart;
 * SIGTERM then SIGKILL on stop. Its health verdicts come from a HealthMonitor per process.
 */
export class ManagedSidecar extends Sidecar {
  private readonly status: SidecarStatus;
  private readonly backoff: RestartBackoff;
  /** The running process; null between an exit and the next spawn. */
  private current: SpawnedSidecar | null = null;
  private spawning: Promise<void> | null = null;
  private respawnTimer: TimerHandle | null = null;
  private restarts = 0;
  /** Exits in a row of processes that never reported ready (CRASH_LOOP_STARTS). */
  private failedStarts = 0;
  private readySinceSpawn = false;
  /** Why the sidecar is failed while it crash-loops; null otherwise. */
  private crashLoop: string | null = null;
  private stopped: Promise<void> | null = null;

  constructor(private readonly deps: ManagedSidecarDeps) {
    super();
    this.status = new SidecarStatus(deps.clock, deps.logger);
    this.backoff = new RestartBackoff(deps.options);
  }

  start(): void {
    if (this.status.begin()) void this.spawnNow();
  }

  health(): InferenceHealth {
    return this.status.snapshot({ managed: true, pid: this.current?.process.pid ?? null, restarts: this.restarts });
  }

  acquire(deadlineAt: number, signal?: AbortSignal): Promise<SidecarLease> {
    return this.status.acquire(deadlineAt, signal, () => this.current);
  }

  release(lease: SidecarLease, interruption: string | null): void {
    if (this.status.release(lease === this.current, interruption) && interruption !== null) {
      void this.enforceJobStop(lease, interruption);
    }
    this.current?.monitor.checkIn(0);
  }

  waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.status.waitUntilReady(timeoutMs, signal);
  }

  async restart(options: { force: boolean }): Promise<void> {
    if (this.status.isStopping) throw new InferenceError('UNAVAILABLE', 'The api is stopping');
    if (options.force) {
      this.killAndRestart('forced restart requested', 'log', true);
      return;
    }
    this.status.pauseAdmission(true);
    this.deps.logger.log(
      this.status.hasJob
        ? 'graceful restart requested: waiting for the running job to finish'
        : 'graceful restart requested: no job running, restarting now',
    );
    while (this.status.hasJob && !this.status.isStopping) await this.status.nextChange(1_000);
    const spawned = this.current;
    if (this.status.isStopping || spawned === null || spawned.retiring) {
      this.status.pauseAdmission(false);
      if (spawned === null && this.respawnTimer !== null) void this.spawnNow();
      return;
    }
    spawned.retire();
    this.status.set('restarting', 'restart requested');
    this.status.pauseAdmission(false);
    const { process } = spawned;
    const grace = this.deps.options.stopGraceMs;
    if (await terminate(process, this.deps.clock, grace)) {
      this.deps.logger.warn(`sidecar pid ${process.pid} ignored SIGTERM for ${grace} ms: SIGKILL`);
    }
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopNow();
    return this.stopped;
  }

  private async stopNow(): Promise<void> {
    this.status.beginStop();
    this.current?.monitor.stop();
    this.respawnTimer?.cancel();
    this.respawnTimer = null;
    if (this.spawning) await this.spawning;
    const process = this.current?.process;
    if (process !== undefined) {
      const grace = this.deps.options.stopGraceMs;
      this.deps.logger.log(`stopping sidecar pid ${process.pid}`);
      if (await terminate(process, this.deps.clock, grace)) {
        this.deps.logger.warn(`sidecar pid ${process.pid} did not stop within ${grace} ms: SIGKILL`);
        await exitsWithin(process, this.deps.clock, 5_000);
      }
    }
    // Normally its exit did this already; a process that outlived SIGKILL is let go.
    this.current?.ended('stopped');
    this.current = null;
    this.status.set('down', 'stopped');
    const { ownedDir } = this.deps.spec;
    if (ownedDir !== undefined) rmSync(ownedDir, { recursive: true, force: true });
  }

  private spawnNow(): Promise<void> {
    this.respawnTimer?.cancel();
    this.respawnTimer = null;
    this.spawning ??= this.spawn().finally(() => {
      this.spawning = null;
    });
    return this.spawning;
  }

  private async spawn(): Promise<void> {
    if (this.status.isStopping) return;
    const { spec, clock, options } = this.deps;
    this.backoff.spawned();
    this.readySinceSpawn = false;
    if (this.crashLoop !== null) this.status.set('failed', `${this.crashLoop}; starting it again`);
    else this.status.set('starting', 'starting the sidecar process');
    const output = new SidecarOutput(this.deps.sidecarLogger);
    let process: SidecarProcess;
    try {
      if (spec.socketPath !== undefined) rmSync(spec.socketPath, { force: true });
      process = await spec.launcher.launch({
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: spec.env(),
        onLine: output.onLine,
      });
    } catch (error) {
      const spawnError = errorMessage(error);
      this.onExit(null, { code: null, signal: null, spawnError }, output);
      return;
    }
    if (this.status.isStopping) {
      process.kill('SIGKILL');
      return;
    }
    const transport = this.deps.transports.connect(spec.address);
    const monitor = new HealthMonitor(
      transport,
      clock,
      options,
      () => healthCheckDelay(this.status.state, this.status.hasJob, options),
      (verdict) => this.onVerdict(verdict),
    );
    const spawned = new SpawnedSidecar(process, transport, monitor, output, clock.now());
    this.current = spawned;
    this.deps.logger.log(`sidecar started: pid ${process.pid}, listening on ${spec.address}`);
    void process.exited.then((exit) => this.onExit(spawned, exit, output));
    monitor.checkIn(options.startupPollMs);
  }

  /** spawned: null when the process could not be started at all. */
  private onExit(spawned: SpawnedSidecar | null, exit: SidecarExit, output: SidecarOutput): void {
    if (spawned !== null && spawned !== this.current) return;
    const description = describeExit(exit);
    const pid = spawned?.process.pid;
    this.current = null;
    spawned?.ended(description);
    if (this.status.isStopping) {
      this.status.notify();
      return;
    }
    this.restarts += 1;
    if (spawned?.retiring) {
      this.deps.logger.log(`sidecar pid ${pid} stopped (${description}); starting a fresh one`);
      void this.spawnNow();
      return;
    }
    if (exit.code === RECYCLE_EXIT_CODE) {
      this.deps.logger.log(`sidecar pid ${pid} asked to be recycled (exit ${RECYCLE_EXIT_CODE}); restarting at once`);
      this.status.set('restarting', 'planned recycle');
      void this.spawnNow();
      return;
    }
    const delay = this.backoff.nextDelay(this.deps.clock.now());
    const why = output.lastErrorLine === null ? '' : ` (last error: ${output.lastErrorLine})`;
    this.deps.logger.error(
      `sidecar ${pid === undefined ? '' : `pid ${pid} `}${description}; restarting in ${delay} ms${why}`,
    );
    this.failedStarts = this.readySinceSpawn ? 0 : this.failedStarts + 1;
    const again = `restarting in ${Math.ceil(delay / 1000)} s`;
    if (this.failedStarts >= CRASH_LOOP_STARTS) {
      this.crashLoop = `the sidecar exited before it was ready ${this.failedStarts} times in a row: ${description}${why}`;
      this.status.set('failed', `${this.crashLoop}; ${again}`);
    } else {
      this.status.set('restarting', `sidecar ${description}${why}; ${again}`);
    }
    this.respawnTimer = this.deps.clock.setTimer(() => void this.spawnNow(), delay);
  }

  private onVerdict(verdict: HealthVerdict): void {
    const spawned = this.current;
    if (spawned === null) return;
    switch (verdict.kind) {
      case 'answered': {
        const serving = this.status.recordHealth(verdict.health);
        if (serving === 'ready') {
          this.backoff.healthy(this.deps.clock.now());
          this.readySinceSpawn = true;
          this.failedStarts = 0;
          this.crashLoop = null;
        }
        if (serving === 'loading') this.checkReadyTimeout(spawned);
        return;
      }
      case 'silent':
        this.checkReadyTimeout(spawned);
        return;
      case 'missed':
        return;
      case 'unresponsive':
        this.killAndRestart(
          `the sidecar did not answer ${verdict.failures} health checks in a row (${verdict.detail})`,
        );
        return;
    }
  }

  private checkReadyTimeout(spawned: SpawnedSidecar): void {
    const elapsed = this.deps.clock.now() - spawned.spawnedAt;
    if (elapsed > this.deps.options.readyTimeoutMs) {
      this.killAndRestart(`the sidecar was not ready ${Math.round(elapsed / 1000)} s after it started`);
    }
  }

  /** An interrupted job must leave the sidecar within jobStopGraceMs, or the sidecar is replaced. */
  private async enforceJobStop(lease: SidecarLease, interruption: string): Promise<void> {
    const grace = this.deps.options.jobStopGraceMs;
    if (!(await this.status.waitForJobStop(grace, () => lease === this.current))) {
      this.killAndRestart(`the sidecar did not stop its job within ${grace} ms after ${interruption}`);
    }
  }

  /** Kills the process (SIGKILL); its exit starts a fresh one at once. */
  private killAndRestart(reason: string, level: 'log' | 'warn' = 'warn', byOperator = false): void {
    if (this.status.isStopping) return;
    const spawned = this.current;
    if (spawned === null) {
      if (this.respawnTimer !== null) void this.spawnNow();
      return;
    }
    if (byOperator) spawned.killedByOperator = true;
    if (spawned.retiring) {
      spawned.process.kill('SIGKILL');
      return;
    }
    spawned.retire();
    this.deps.logger[level](`${reason}: killing sidecar pid ${spawned.process.pid} and starting a fresh one`);
    this.status.set('restarting', reason);
    spawned.process.kill('SIGKILL');
  }
}
