import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import type { ManagedSidecarSpec } from './managed-sidecar';
import { SidecarLauncher } from './sidecar-process';

/**
 * The variables of the api's environment a sidecar may see (an allowlist: the api's own secrets,
 * API_KEYS, METRICS_TOKEN, ADMIN_TOKEN, TUNNEL_TOKEN, REDIS_URL with its password, the bucket's
 * keys, never reach it): the system's basics, its own KILN_*, Python's, and what CUDA, PyTorch,
 * Triton, FlexGEMM, the math libraries and Hugging Face read (HF_TOKEN for gated weights).
 */
const SIDECAR_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'LD_LIBRARY_PATH',
  'VIRTUAL_ENV',
  'XDG_CACHE_HOME',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'OMP_NUM_THREADS',
  // TRELLIS.2's backend choices (trellis2/modules/attention/config.py, sparse/config.py @ 5565d24).
  'ATTN_BACKEND',
  'SPARSE_ATTN_BACKEND',
  'SPARSE_CONV_BACKEND',
]);
const SIDECAR_ENV_PREFIXES = [
  'KILN_',
  'LC_',
  'PYTHON',
  'CUDA_',
  'NVIDIA_',
  'PYTORCH_',
  'TORCH_',
  'TRITON_',
  // FLEX_GEMM_AUTOTUNE_CACHE_PATH: the sidecar sets it only when unset (trellis2/environment.py).
  'FLEX_GEMM_',
  'OPENBLAS_',
  'MKL_',
  'HF_',
  'HUGGINGFACE_',
  'TRANSFORMERS_',
  'GRPC_',
];

/** Whether the sidecar may see this variable of the api's environment (SIDECAR_ENV_NAMES, SIDECAR_ENV_PREFIXES). */
export function sidecarMaySee(name: string): boolean {
  return SIDECAR_ENV_NAMES.has(name) || SIDECAR_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The sidecar's environment: the allowed part of the api's own (sidecarMaySee), plus the config-derived KILN_* values. */
export function sidecarEnvironment(
  config: AppConfig,
  listen: string,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && sidecarMaySee(name)) env[name] = value;
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
  removedAtExit(ownedDir);
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

/** Folders this process made for its sidecars, removed when it exits however it exits (short of SIGKILL). */
const OWNED_DIRS = new Set<string>();

/**
 * Removes `dir` when the process exits: a start refused after the folder was made (another
 * process's model store, a port in use) exits without ManagedSidecar.stop(), which removes it
 * otherwise. One 'exit' listener for every folder.
 */
function removedAtExit(dir: string): void {
  if (OWNED_DIRS.size === 0) {
    process.once('exit', () => {
      for (const owned of OWNED_DIRS) rmSync(owned, { recursive: true, force: true });
    });
  }
  OWNED_DIRS.add(dir);
}
