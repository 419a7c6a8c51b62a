import { ConflictException, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { InferenceRepository } from '../inference.repository';
import { InferenceRestartAcceptedDto } from './inference-admin.dto';

/** The ops restart of the inference sidecar, behind POST /api/admin/inference/restart. */
@Injectable()
export class InferenceAdminService {
  private readonly logger = new Logger('InferenceAdmin');

  constructor(private readonly inference: InferenceRepository) {}

  /**
   * Starts a restart and answers at once: a graceful one may wait minutes for the running job.
   * Throws ConflictException (409) when the sidecar runs elsewhere (INFERENCE_URL),
   * ServiceUnavailableException (503) when it is stopped.
   */
  async restart(force: boolean): Promise<InferenceRestartAcceptedDto> {
    const before = await this.inference.health();
    if (!before.managed) {
      throw new ConflictException('The inference sidecar is not managed by this api (INFERENCE_URL is set)');
    }
    if (before.state === 'down') throw new ServiceUnavailableException('The inference sidecar is stopped');
    this.logger.warn(`inference sidecar restart requested (force=${force}, pid ${before.pid ?? 'none'})`);
    this.inference.restart({ force }).catch((error: unknown) => {
      this.logger.error(`inference sidecar restart failed: ${String(error)}`);
    });
    return {
      success: true,
      force,
      previous_pid: before.pid,
      message: force || before.state !== 'busy' ? 'Restart started' : 'Restart will start when the running job ends',
    };
  }
}
