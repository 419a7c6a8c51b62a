import { Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { InferenceRepository } from '../inference.repository';
import { InferenceRestartAcceptedDto } from './inference-admin.dto';

/** The ops restart of the inference sidecar, behind POST /api/admin/inference/restart. */
@Injectable()
export class InferenceAdminService {
  private readonly logger = new Logger('InferenceAdmin');

  constructor(private readonly inference: InferenceRepository) {}

  /**
   * Starts a restart and answers at once: a graceful one may wait minutes for the running job.
   * Throws ApiError 409 sidecar_not_managed when the sidecar runs elsewhere (INFERENCE_URL),
   * 503 sidecar_stopped when it is stopped. `by`: who asked (admin-operator.ts), for the log.
   */
  async restart(force: boolean, by = 'an operator'): Promise<InferenceRestartAcceptedDto> {
    const before = await this.inference.health();
    if (!before.managed) {
      throw new ApiError('sidecar_not_managed');
    }
    if (before.state === 'down') throw new ApiError('sidecar_stopped');
    this.logger.warn(
      `inference sidecar restart requested by ${by} (force=${force}, pid ${before.pid ?? 'none'})`,
    );
    this.inference.restart({ force }).catch((error: unknown) => {
      this.logger.error(`inference sidecar restart failed: ${String(error)}`);
    });
    const waitsForJob = !force && before.state === 'busy';
    return {
      success: true,
      force,
      previous_pid: before.pid,
      waits_for_job: waitsForJob,
      message: waitsForJob ? 'Restart will start when the running job ends' : 'Restart started',
    };
  }
}
