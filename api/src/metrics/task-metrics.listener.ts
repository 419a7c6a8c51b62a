import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { parseTaskEvent } from '../tasks/events/task-event';
import { MetricsService } from './metrics.service';
import { TaskTimeline } from './task-timeline';

/** How long a finished task's claim is kept: far longer than a pub/sub message takes to reach every process. */
const CLAIM_TTL_S = 3600;

/**
 * Feeds the task metrics from the task events (RedisKeys.taskEventsChannel), which every api
 * process receives, without a call in the job's code path. Each process follows every task's
 * stages (TaskTimeline); when a task finishes, the processes race for one Redis claim
 * (SET NX, RedisKeys.metricsClaim) and only the winner records it, so each finished task is
 * counted once across all api processes of this instance. A task following a shared job
 * (docs/design.md, Instant repeats) is counted as a task; the job's durations are not counted again.
 */
@Injectable()
export class TaskMetricsListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskMetricsListener.name);
  private readonly timeline = new TaskTimeline();
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.unlisten = this.redis.listen(RedisKeys.taskEventsChannel, (message) => {
      const event = parseTaskEvent(message);
      if (!event) return; // TaskEventsService logs unreadable events
      const outcome = this.timeline.observe(event.taskId, event.record);
      if (outcome === undefined) return;
      this.claim(event.taskId).then(
        async (mine) => {
          if (!mine) return;
          // A task following another task's job (an instant repeat) counts as a task, but its
          // job's durations are the job's first task's: counted once, not once per follower.
          const follower = await this.followsAnother(event.taskId);
          this.metrics.recordOutcome(follower ? { ...outcome, jobSeconds: undefined, stages: [] } : outcome);
        },
        (error: unknown) =>
          this.logger.warn(`task ${event.taskId} not counted in the metrics: ${String(error)}`),
      );
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /** Whether the task follows a job another task made (the `job` field of its hash: TaskStore.jobOf). */
  private async followsAnother(taskId: string): Promise<boolean> {
    const job = await this.redis.client.hget(RedisKeys.task(taskId), 'job');
    return job !== null && job !== taskId;
  }

  /** True for the one process that gets to count this finished task (channels are per database). */
  private async claim(taskId: string): Promise<boolean> {
    const client = this.redis.client;
    return (await client.set(RedisKeys.metricsClaim(taskId), '1', 'EX', CLAIM_TTL_S, 'NX')) === 'OK';
  }
}
