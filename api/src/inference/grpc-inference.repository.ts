import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock';
import { GenerateCall } from './job/generate-call';
import {
  InferenceHealth,
  InferenceJob,
  InferencePreview,
  InferenceProgress,
  InferenceRepository,
  InferenceResult,
} from './inference.repository';
import { Sidecar } from './sidecar/sidecar';

/**
 * The InferenceRepository over gRPC: each job holds the sidecar (managed or remote, see
 * InferenceModule) for one GenerateCall, and releases it saying whether the api interrupted it.
 */
@Injectable()
export class GrpcInferenceRepository
  extends InferenceRepository
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('InferenceSupervisor');

  constructor(
    private readonly sidecar: Sidecar,
    private readonly clock: Clock,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.sidecar.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.sidecar.stop();
  }

  health(): Promise<InferenceHealth> {
    return Promise.resolve(this.sidecar.health());
  }

  waitUntilReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.sidecar.waitUntilReady(timeoutMs, signal);
  }

  restart(options: { force: boolean }): Promise<void> {
    return this.sidecar.restart(options);
  }

  async generate(
    job: InferenceJob,
    onProgress: (progress: InferenceProgress) => void,
    signal?: AbortSignal,
    onPreview?: (preview: InferencePreview) => void,
  ): Promise<InferenceResult> {
    const deadlineAt = this.clock.now() + job.timeoutS * 1000;
    const lease = await this.sidecar.acquire(deadlineAt, signal);
    const call = new GenerateCall(lease, this.clock, this.logger);
    try {
      return await call.run(job, deadlineAt, onProgress, signal, onPreview);
    } finally {
      this.sidecar.release(lease, call.interruption);
    }
  }
}
