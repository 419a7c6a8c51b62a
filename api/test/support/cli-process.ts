import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

/** One run of the command-line client: its exit status and what it wrote. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A run of the command-line client still going: what it wrote so far, and its end. */
export interface StartedCli {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when it exits. */
  done: Promise<CliRun>;
}

/**
 * Starts `npx kiln3d …` from the checkout as README says, with `home` as its HOME and its state
 * folder under `home/state` (XDG_STATE_HOME: its kept task tokens), nothing else of this
 * process's environment but PATH, plus `env` (e.g. KILN3D_SERVER). `done` rejects only when it
 * cannot be started.
 */
export function startKiln3d(
  home: string,
  args: readonly string[],
  env: Record<string, string> = {},
): StartedCli {
  const child = spawn('npx', ['--no-install', 'kiln3d', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: home, XDG_STATE_HOME: join(home, 'state'), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** startKiln3d, resolved when it exits. */
export function runKiln3d(
  home: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return startKiln3d(home, args, env).done;
}
