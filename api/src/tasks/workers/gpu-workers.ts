import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';

/** How long a worker that exited on its own waits before it is started again. */
export const WORKER_RESTART_DELAY_MS = 5_000;
/** Set in each GPU worker's environment: the pid of the process that supervises it. */
export const SUPERVISOR_PID_ENV = 'KILN_SUPERVISOR_PID';

/** One extra worker process: the GPU it is pinned to and its whole environment. */
export interface GpuWorkerPlan {
  gpu: string;
  env: Record<string, string>;
}

/**
 * KILN_GPUS=0,1,… on one machine: this process takes the first GPU (main.ts pins its own sidecar
 * with CUDA_VISIBLE_DEVICES) and one worker-only process (KILN_ROLE=worker, no HTTP) is planned
 * for each other GPU, pinned the same way (its sidecar inherits CUDA_VISIBLE_DEVICES: CUDA then
 * sees that one device as cuda:0), sharing Redis and the model store, logging under
 * LOG_DIR/gpu-{id}.
 */
export function gpuWorkerPlans(
  config: AppConfig,
  base: NodeJS.ProcessEnv,
  supervisorPid: number,
): GpuWorkerPlan[] {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) inherited[name] = value;
  return config.gpus.slice(1).map((gpu) => ({
    gpu,
    env: {
      ...inherited,
      KILN_ROLE: 'worker',
      KILN_GPUS: '',
      CUDA_VISIBLE_DEVICES: gpu,
      LOG_DIR: join(config.logDir, `gpu-${gpu}`),
      [SUPERVISOR_PID_ENV]: String(supervisorPid),
    },
  }));
}

/**
 * Runs the planned GPU workers as child processes of this one (the same main.js): starts each,
 * starts again one that exits on its own (after WORKER_RESTART_DELAY_MS), and on stop() sends
 * SIGTERM to all (each puts its running job back, as any worker's graceful stop does) and waits,
 * then SIGKILL after the limit.
 */
export class GpuWorkerSupervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(
    private readonly plans: readonly GpuWorkerPlan[],
    private readonly main: string,
    private readonly logger: Pick<Logger, 'log' | 'warn'>,
  ) {}

  /** The pid of each running worker, by GPU. */
  get pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.children].map(([gpu, child]) => [gpu, child.pid]));
  }

  start(): void {
    for (const plan of this.plans) this.spawn(plan);
  }

  private spawn(plan: GpuWorkerPlan): void {
    const child = spawn(process.execPath, [this.main], { env: plan.env, stdio: 'inherit' });
    this.children.set(plan.gpu, child);
    this.logger.log(`GPU worker for CUDA device ${plan.gpu} started (pid ${child.pid})`);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.logger.warn(
        `GPU worker for CUDA device ${plan.gpu} exited (${signal ?? `code ${code}`}); ` +
          `starting it again in ${WORKER_RESTART_DELAY_MS / 1000} s`,
      );
      setTimeout(() => {
        if (!this.stopping) this.spawn(plan);
      }, WORKER_RESTART_DELAY_MS).unref();
    });
  }

  /** Graceful stop of every worker; resolves once all exited (SIGKILL after timeoutMs). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * In a GPU worker: exits (gracefully, SIGTERM to itself) once its supervisor is gone, so a
 * supervisor killed outright leaves no worker behind. Checked every 2 s.
 */
export function followSupervisor(env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env[SUPERVISOR_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 2_000);
  timer.unref();
}
