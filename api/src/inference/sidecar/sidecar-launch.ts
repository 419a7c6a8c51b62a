import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import type { ManagedSidecarSpec } from './managed-sidecar';
import { SidecarLauncher } from './sidecar-process';

/** Variables of the api's environment that the sidecar has no use for and should not see. */
const WITHHELD_ENV = new Set([
  'ADMIN_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'INFERENCE_TOKEN',
]);

/** The sidecar's environment: the api's own (every KILN_* included) plus the config-derived KILN_* values. */
export function sidecarEnvironment(
  config: AppConfig,
  listen: string,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !WITHHELD_ENV.has(name)) env[name] = value;
  }
  env.KILN_ENGINE = config.inferenceEngine;
  env.KILN_SIMULATE_SECONDS = String(config.simulateSeconds);
  env.KILN_MODELS_DIR = config.modelsDir;
  env.KILN_LISTEN = listen;
  // The secret this api sends (GrpcSidecarTransport): always the api's own, so a stray
  // KILN_INFERENCE_TOKEN in the api's environment cannot make its own sidecar refuse it.
  env.KILN_INFERENCE_TOKEN = config.inferenceToken ?? '';
  // Lets the sidecar notice that its parent died without stopping it.
  env.KILN_PARENT_PID = String(process.pid);
  env.PYTHONUNBUFFERED = '1';
  return env;
}

/**
 * The Python sidecar of INFERENCE_DIR's .venv, listening on a unix socket in a private folder
 * made now under the temporary directory (no other user can connect to, or squat on, it).
 */
export function managedSidecarSpec(config: AppConfig, launcher: SidecarLauncher): ManagedSidecarSpec {
  const ownedDir = mkdtempSync(join(tmpdir(), 'kiln3d-'));
  const socketPath = join(ownedDir, 'inference.sock');
  const address = `unix://${socketPath}`;
  return {
    launcher,
    address,
    command: join(config.inferenceDir, '.venv', 'bin', 'python'),
    args: ['-m', 'kiln3d_inference'],
    cwd: process.cwd(),
    env: () => sidecarEnvironment(config, address),
    socketPath,
    ownedDir,
  };
}
