import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock, TimerHandle } from '../common/clock';
import type { GenerateEvent__Output } from './generated/kiln3d/inference/v1/GenerateEvent';
import {
  InferenceError,
  InferenceErrorCode,
  InferenceHealth,
  InferenceJob,
  InferenceProgress,
  InferenceRepository,
  InferenceResult,
  InferenceStage,
} from './inference.repository';
import { SidecarLauncher } from './sidecar-process';
import {
  DEFAULT_SUPERVISOR_OPTIONS,
  ManagedSidecarSpec,
  SidecarSupervisor,
  SupervisorOptions,
} from './sidecar-supervisor';
import { GenerateCallHandle, StreamFailure, SidecarTransportFactory } from './sidecar-transport';

/** Optional provider: overrides of the supervisor's timings (tests use short ones). */
export const INFERENCE_SUPERVISOR_OPTIONS = Symbol('INFERENCE_SUPERVISOR_OPTIONS');

const STAGES: Record<string, InferenceStage | undefined> = {
  STAGE_PREPROCESS: 'preprocess',
  STAGE_STRUCTURE: 'structure',
  STAGE_GEOMETRY: 'geometry',
  STAGE_TEXTURE: 'texture',
  STAGE_EXPORT: 'export',
};

const ERROR_CODES: Record<string, InferenceErrorCode | undefined> = {
  OOM: 'OOM',
  INVALID_INPUT: 'INVALID_INPUT',
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  INTERNAL: 'INTERNAL',
};

/** How long a dropped stream waits for the sidecar's exit to explain it. */
const EXIT_REPORT_GRACE_MS = 1_000;

/** Variables of the api's environment that the sidecar has no use for and should not see. */
const WITHHELD_ENV = new Set(['ADMIN_TOKEN']);

/** Maps a gRPC status that ended a Generate stream to the port's error. */
export function streamFailureError(failure: StreamFailure): InferenceError {
  const name = GrpcStatus[failure.code] ?? String(failure.code);
  if (failure.code === GrpcStatus.DEADLINE_EXCEEDED) {
    return new InferenceError('TIMEOUT', `Generation timeout (gRPC ${name}: ${failure.details})`);
  }
  if (failure.code === GrpcStatus.UNKNOWN || failure.code === GrpcStatus.INTERNAL) {
    // The sidecar's handler raised instead of sending an Error event.
    return new InferenceError('INTERNAL', `Inference sidecar failed (gRPC ${name}: ${failure.details})`);
  }
  return new InferenceError('UNAVAILABLE', `Inference sidecar unavailable during the job (gRPC ${name}: ${failure.details})`);
}

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
  // Lets the sidecar notice that its parent died without stopping it.
  env.KILN_PARENT_PID = String(process.pid);
  env.PYTHONUNBUFFERED = '1';
  return env;
}

/**
 * The InferenceRepository over gRPC: one long-lived sidecar, spawned and supervised here unless
 * INFERENCE_URL names one that runs elsewhere.
 */
@Injectable()
export class GrpcInferenceRepository
  extends InferenceRepository
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('InferenceSupervisor');
  private readonly supervisor: SidecarSupervisor;
  private readonly socketDir: string | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    launcher: SidecarLauncher,
    transportFactory: SidecarTransportFactory,
    private readonly clock: Clock,
    @Optional() @Inject(INFERENCE_SUPERVISOR_OPTIONS) options?: Partial<SupervisorOptions>,
  ) {
    super();
    let address: string;
    let managed: ManagedSidecarSpec | null = null;
    if (config.inferenceUrl !== undefined) {
      address = config.inferenceUrl;
      this.socketDir = null;
    } else {
      // A private directory: no other user can connect to (or squat on) the socket.
      this.socketDir = mkdtempSync(join(tmpdir(), 'kiln3d-'));
      const socketPath = join(this.socketDir, 'inference.sock');
      address = `unix://${socketPath}`;
      managed = {
        launcher,
        command: join(config.inferenceDir, '.venv', 'bin', 'python'),
        args: ['-m', 'kiln3d_inference'],
        cwd: process.cwd(),
        env: () => sidecarEnvironment(config, address),
        socketPath,
      };
    }
    this.supervisor = new SidecarSupervisor({
      address,
      managed,
      transportFactory,
      clock,
      logger: this.logger,
      sidecarLogger: new Logger('inference'),
      options: {
        ...DEFAULT_SUPERVISOR_OPTIONS,
        readyTimeoutMs: config.inferenceReadyTimeoutS * 1000,
        ...options,
      },
    });
  }

  onApplicationBootstrap(): void {
    this.supervisor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.supervisor.stop();
    if (this.socketDir !== null) rmSync(this.socketDir, { recursive: true, force: true });
  }

  health(): Promise<InferenceHealth> {
    return Promise.resolve(this.supervisor.snapshot());
  }

  waitUntilReady(timeoutMs: number): Promise<void> {
    return this.supervisor.waitUntilReady(timeoutMs);
  }

  restart(options: { force: boolean }): Promise<void> {
    return this.supervisor.restart(options);
  }

  async generate(
    job: InferenceJob,
    onProgress: (progress: InferenceProgress) => void,
    signal?: AbortSignal,
  ): Promise<InferenceResult> {
    const deadlineAt = this.clock.now() + job.timeoutS * 1000;
    const lease = await this.supervisor.acquire(deadlineAt, signal);
    let interruption: string | null = null;
    try {
      return await new Promise<InferenceResult>((resolve, reject) => {
        let settled = false;
        let stage: InferenceStage = 'preprocess';
        let percent = 0;
        let call: GenerateCallHandle | null = null;
        let failureGrace: TimerHandle | null = null;
        const finish = (outcome: InferenceResult | InferenceError): void => {
          if (settled) return;
          settled = true;
          timer.cancel();
          failureGrace?.cancel();
          signal?.removeEventListener('abort', onAbort);
          unsubscribeExit();
          if (outcome instanceof InferenceError) reject(outcome);
          else resolve(outcome);
        };
        const interrupt = (reason: string, error: InferenceError): void => {
          if (settled) return;
          interruption = reason;
          finish(error);
          call?.cancel();
        };
        const onAbort = (): void =>
          interrupt(`job ${job.taskId} was cancelled`, new InferenceError('CANCELLED', 'Job cancelled'));
        const onEvent = (event: GenerateEvent__Output): void => {
          if (event.progress) {
            stage = STAGES[event.progress.stage] ?? stage;
            percent = Math.max(percent, Math.min(100, Math.max(0, event.progress.percent)));
            try {
              onProgress({ stage, percent, message: event.progress.message });
            } catch (error) {
              this.logger.error(`progress listener failed: ${String(error)}`);
            }
          } else if (event.done) {
            const done = event.done;
            finish({
              outputPath: done.outputPath,
              triangles: done.triangles,
              bytes: done.bytes,
              seconds: done.seconds,
              engine: done.engine,
            });
          } else if (event.error) {
            const code = ERROR_CODES[event.error.code] ?? 'INTERNAL';
            finish(new InferenceError(code, event.error.message || `Inference failed (${code})`));
          }
        };
        const unsubscribeExit = this.supervisor.onSidecarExit((generation, description) => {
          if (generation === lease.generation) {
            finish(new InferenceError('UNAVAILABLE', `Inference sidecar ${description} during the job`));
          }
        });
        const timer = this.clock.setTimer(
          () =>
            interrupt(
              `job ${job.taskId} passed its ${job.timeoutS} s limit`,
              new InferenceError('TIMEOUT', `Generation timeout (over ${job.timeoutS} s)`),
            ),
          Math.max(0, deadlineAt - this.clock.now()),
        );
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted) {
          onAbort();
          return;
        }
        call = lease.transport.generate(
          {
            taskId: job.taskId,
            image: job.image,
            outputPath: job.outputPath,
            seed: job.seed,
            timeoutS: Math.ceil(job.timeoutS),
          },
          {
            onEvent,
            onFailure: (failure) => {
              const error = streamFailureError(failure);
              // A dropped connection usually means the process died: its exit, which says how, follows
              // within milliseconds and makes the clearer message.
              if (failure.code === GrpcStatus.UNAVAILABLE && this.supervisor.managed) {
                failureGrace = this.clock.setTimer(() => finish(error), EXIT_REPORT_GRACE_MS);
              } else {
                finish(error);
              }
            },
            onEnd: () =>
              finish(new InferenceError('UNAVAILABLE', 'Inference sidecar closed the stream without a result')),
          },
        );
      });
    } finally {
      this.supervisor.release(lease, interruption);
    }
  }
}
