import type { Logger } from '@nestjs/common';
import type { InferencePreview } from '../../inference/inference.repository';
import type { PreviewStore } from '../state/preview-store.service';
import type { TaskStore } from '../state/task-store.service';

/**
 * One job's voxel previews turned into its task's `preview` (docs/design.md, the `preview` SSE
 * event): the voxels stored (PreviewStore), then the snapshot names them, which publishes the
 * change. Written in the order they came, only while the task is processing, never failing the
 * job (a failed write costs that preview). Previews are few (one or two a job): no throttle.
 */
export class PreviewPublisher {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly taskId: string,
    private readonly tasks: TaskStore,
    private readonly previews: PreviewStore,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** The listener handed to InferenceRepository.generate. */
  readonly report = (preview: InferencePreview): void => {
    this.chain = this.chain
      .then(async () => {
        const record = await this.previews.save(this.taskId, preview);
        await this.tasks.update(this.taskId, { preview: record }, ['processing']);
      })
      .catch((error: unknown) =>
        this.logger.warn(`preview of task ${this.taskId} not stored: ${String(error)}`),
      );
  };

  /** Resolves once every preview was written (or dropped): call before a terminal update. */
  flushed(): Promise<unknown> {
    return this.chain;
  }
}
