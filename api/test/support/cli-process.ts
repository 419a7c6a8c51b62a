import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

/** One run of the command-line client: its exit status and what it wrote. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npx kiln3d …` from the checkout as README says, with `home` as its HOME and its state
 * folder under `home/state` (XDG_STATE_HOME: its kept task tokens), nothing else of this process's
 * environment but PATH, plus `env` (e.g. KILN3D_SERVER). Resolves when it exits; rejects only when
 * it cannot be started.
 */
export function runKiln3d(
  home: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'kiln3d', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: home, XDG_STATE_HOME: join(home, 'state'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
