import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Clock } from '../../common/clock';
import type { SidecarLogger } from './sidecar';

/** How a sidecar process ended. */
export interface SidecarExit {
  /** Exit code, or null when a signal ended it (or it never started). */
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (e.g. the venv is missing). */
  spawnError?: string;
}

/** What to run; onLine receives each non-empty line the process writes. */
export interface SidecarSpawnSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** A started sidecar process. */
export interface SidecarProcess {
  readonly pid: number | undefined;
  /** Resolves (never rejects) once the process has ended and its output is drained. */
  readonly exited: Promise<SidecarExit>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Starts the sidecar process; the real one uses execa, unit tests a fake. */
export abstract class SidecarLauncher {
  abstract launch(spec: SidecarSpawnSpec): Promise<SidecarProcess>;
}

/** Exit code by which the sidecar asks for a planned recycle (e.g. VRAM grew past its threshold). */
export const RECYCLE_EXIT_CODE = 75;

/** "exit code 1", "killed by SIGKILL" or "could not start: ...", for logs, health and job errors. */
export function describeExit(exit: SidecarExit): string {
  if (exit.spawnError !== undefined) return `could not start: ${exit.spawnError}`;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

/** Resolves true once the process has exited, false if it still runs after ms. */
export function exitsWithin(process: SidecarProcess, clock: Clock, ms: number): Promise<boolean> {
  const timeout = new AbortController();
  return Promise.race([process.exited.then(() => true), clock.sleep(ms, timeout.signal).then(() => false)]).finally(
    () => timeout.abort(),
  );
}

/**
 * SIGTERM, then SIGKILL if the process still runs after graceMs (ms). Resolves true when SIGKILL
 * was needed (the caller says so in its log), false when the process exited on SIGTERM.
 */
export async function terminate(process: SidecarProcess, clock: Clock, graceMs: number): Promise<boolean> {
  process.kill('SIGTERM');
  if (await exitsWithin(process, clock, graceMs)) return false;
  process.kill('SIGKILL');
  return true;
}

/** The log level of one line of the sidecar's output, read from the line (Python's logging levels). */
function sidecarLineLevel(line: string): 'log' | 'warn' | 'error' {
  if (/\b(ERROR|CRITICAL|FATAL|Traceback)\b/.test(line)) return 'error';
  if (/\bWARN(ING)?\b/.test(line)) return 'warn';
  return 'log';
}

/** Forwards one process's output lines to the log at the level read from each; remembers its last error line. */
export class SidecarOutput {
  private lastError: string | null = null;

  constructor(private readonly logger: SidecarLogger) {}

  /** The last error line (at most 300 characters), to say why the process died; null if none. */
  get lastErrorLine(): string | null {
    return this.lastError;
  }

  readonly onLine = (_stream: 'stdout' | 'stderr', line: string): void => {
    const level = sidecarLineLevel(line);
    if (level === 'error') this.lastError = line.slice(0, 300);
    this.logger[level](line);
  };
}

function forwardLines(stream: Readable | null, name: 'stdout' | 'stderr', spec: SidecarSpawnSpec): Promise<void> {
  if (stream === null) return Promise.resolve();
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() !== '') spec.onLine(name, line);
  });
  return new Promise((resolve) => lines.once('close', resolve));
}

/** Launches with execa in the process's own group, stdout and stderr forwarded line by line. */
export class ExecaSidecarLauncher extends SidecarLauncher {
  async launch(spec: SidecarSpawnSpec): Promise<SidecarProcess> {
    // execa 9 is ESM-only; a dynamic import keeps this CommonJS build working.
    const { execa } = await import('execa');
    const subprocess = execa(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      // stdin stays an open pipe that is never written: the sidecar can watch it for EOF to
      // notice that the api died without a chance to stop it.
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      // Its own process group: a Ctrl+C in the terminal reaches only the api, which then stops the
      // sidecar in order, instead of the sidecar exiting first and looking like a crash.
      detached: true,
      // With detached, execa's exit hook does not apply; the sidecar's KILN_PARENT_PID watch (every
      // 0.5 s) stops it when the api is gone, however the api ended.
      cleanup: false,
      forceKillAfterDelay: false,
    });
    const drained = Promise.all([
      forwardLines(subprocess.stdout, 'stdout', spec),
      forwardLines(subprocess.stderr, 'stderr', spec),
    ]);
    const exited = subprocess.then(async (result) => {
      await drained;
      const exit: SidecarExit = {
        code: result.exitCode ?? null,
        signal: result.signal ?? null,
      };
      if (result.failed && result.exitCode === undefined && result.signal === undefined) {
        exit.spawnError = result.originalMessage || result.shortMessage;
      }
      return exit;
    });
    return {
      pid: subprocess.pid,
      exited,
      kill: (signal) => {
        if (subprocess.exitCode === null && subprocess.signalCode === null) subprocess.kill(signal);
      },
    };
  }
}
