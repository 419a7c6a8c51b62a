import type { InferenceProgress } from '../../inference/inference.repository';
import type { TaskStore } from '../state/task-store.service';
import { ProgressThrottle } from './progress-throttle';

/**
 * One job's progress reports turned into `processing` updates of its task: throttled
 * (ProgressThrottle), written in the order they came, never failing the job (a failed write
 * costs one event). The percent is capped at 99 here: 100 belongs to the `completed` update.
 */
export class ProgressPublisher {
  private readonly throttle: ProgressThrottle;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly taskId: string,
    private readonly tasks: TaskStore,
    minIntervalMs: number,
    now: () => number,
  ) {
    this.throttle = new ProgressThrottle(minIntervalMs, now);
  }

  /** The listener handed to InferenceRepository.generate. */
  readonly report = (progress: InferenceProgress): void => {
    if (!this.throttle.accept(progress)) return;
    this.chain = this.chain
      .then(() =>
        this.tasks.update(
          this.taskId,
          { progress: Math.min(99, Math.round(progress.percent)), stage: progress.stage },
          ['processing'],
        ),
      )
      .catch(() => undefined);
  };

  /** Resolves once every accepted update was written (or dropped): call before a terminal update. */
  flushed(): Promise<unknown> {
    return this.chain;
  }
}
