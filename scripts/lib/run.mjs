// Small process helpers for the start and test scripts: no dependencies, so they run before
// `npm install` has ever happened.
import { spawn } from 'node:child_process';

/** Runs a command with inherited stdio; resolves with its exit code (never rejects). */
export function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...options });
    child.on('error', (err) => {
      console.error(`[kiln3d] could not run ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs a command, echoing its output live and also returning it for parsing. */
export function runCapture(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    const onData = (stream) => (chunk) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('error', (err) => {
      output += `\ncould not run ${cmd}: ${err.message}\n`;
      resolve({ code: 127, output });
    });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

export async function mustRun(label, cmd, args, options = {}) {
  console.log(`[kiln3d] ${label}: ${cmd} ${args.join(' ')}`);
  const code = await run(cmd, args, options);
  if (code !== 0) {
    throw new Error(`${label} failed (exit ${code}): ${cmd} ${args.join(' ')}`);
  }
}
