import { join } from 'node:path';

/**
 * The last line of a tool process's output that parses as a JSON object, or undefined: how the
 * api reads the Python tools' one-line reports (formats, mesh intake) past any library warning.
 */
export function lastJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // not JSON: a warning of a library
    }
  }
  return undefined;
}

/**
 * Runs `python -m <module> <args>` of the sidecar's virtual environment (`<inferenceDir>/.venv`),
 * as the api's Python tools (formats, mesh intake) are run: a process of its own, killed
 * (SIGKILL) past `timeoutMs`, with only what Python needs in its environment (the api's secrets
 * stay out) plus `env`; stdout and stderr at most 1 MiB. Never rejects for the tool's own exit.
 */
export async function runPythonTool(
  inferenceDir: string,
  module: string,
  args: readonly string[],
  timeoutMs: number,
  env: Readonly<Record<string, string>> = {},
): Promise<{
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}> {
  // execa 9 is ESM-only; a dynamic import keeps this CommonJS build working.
  const { execa } = await import('execa');
  const result = await execa(join(inferenceDir, '.venv', 'bin', 'python'), ['-m', module, ...args], {
    cwd: inferenceDir,
    reject: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    extendEnv: false,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PYTHONUNBUFFERED: '1',
      HOME: process.env.HOME ?? '/',
      ...env,
    },
    maxBuffer: 1024 * 1024,
    stdin: 'ignore',
  });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}
