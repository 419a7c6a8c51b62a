import type { InferenceProgress } from '../../inference/inference.repository';

/**
 * Decides which sidecar progress reports become `processing` events: a new stage or 100 %
 * always, otherwise at most one every minIntervalMs; a report that changes neither the stage
 * nor the whole percent is dropped. Progress never decreasing is the sidecar's promise
 * (proto/inference.proto, Progress.percent), not re-checked here.
 */
export class ProgressThrottle {
  private lastStage: string | undefined;
  private lastPercent: number | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number,
  ) {}

  accept(progress: Pick<InferenceProgress, 'stage' | 'percent'>): boolean {
    const percent = Math.round(progress.percent);
    const stageChanged = progress.stage !== this.lastStage;
    if (!stageChanged && percent === this.lastPercent) return false;
    const due = this.now() - this.lastAt >= this.minIntervalMs;
    if (!stageChanged && percent < 100 && !due) return false;
    this.lastStage = progress.stage;
    this.lastPercent = percent;
    this.lastAt = this.now();
    return true;
  }
}
