// How `npm start` (scripts/start.mjs) keeps its api: one child that stops gracefully with it.
import { spawn } from 'node:child_process';

/** How often the starter looks whether its own parent is still the one that started it (ms). */
export const PARENT_CHECK_MS = 1000;

/**
 * Runs `command args` as this process's supervised child (stdio inherited) and stops it
 * gracefully (SIGTERM, SIGINT for Ctrl-C) whenever this process is told to stop: on SIGINT and
 * SIGTERM; on SIGHUP (the terminal closed); and when this process's parent goes away, as npm
 * does when `npm start` is signalled (npm exits without passing SIGTERM on to its script), so
 * no api is left on ppid 1 holding the port and the GPU. `onExit(code, signal)` runs when the
 * child has exited. Returns the child process.
 */
export function supervise(command, args, { cwd, onExit }) {
  const child = spawn(command, args, { cwd, stdio: 'inherit' });
  const stop = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGTERM'));
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) stop('SIGTERM');
  }, PARENT_CHECK_MS);
  watch.unref();
  child.on('exit', (code, signal) => {
    clearInterval(watch);
    onExit(code, signal);
  });
  return child;
}
