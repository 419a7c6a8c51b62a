import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { TaskStore } from '../state/task-store.service';
import { JobDurationsService } from '../options/job-durations.service';
import { GENERATION_QUEUE } from '../queue/job-names';
import { BACK_IN_QUEUE } from './task-transitions';
import { errorMessage } from '../../common/error-message';

/**
 * Queue position and ETA of the waiting tasks (docs/design.md, Queue), from Bull's wait list and
 * its stalled jobs (a task interrupted by an api crash reads `queued` once its job's lock lapsed).
 */
@Injectable()
export class QueuePositionsService {
  private readonly logger = new Logger(QueuePositionsService.name);
  /** A refresh failed and was logged: the next failures stay quiet until one succeeds (Redis down). */
  private failing = false;

  constructor(
    @InjectQueue(GENERATION_QUEUE) private readonly queue: Queue,
    private readonly tasks: TaskStore,
    private readonly durations: JobDurationsService,
  ) {}

  /**
   * Publishes position and ETA to every waiting task whose numbers changed (call whenever the
   * queue moves, and periodically for stalled jobs). Each task's ETA counts the tasks ahead by
   * their quality presets (JobDurationsService.estimates()); a failure is logged only.
   */
  async refresh(): Promise<void> {
    try {
      await this.tasks.refreshPositions(
        {
          wait: this.queue.toKey('wait'),
          active: this.queue.toKey('active'),
          jobPrefix: this.queue.toKey(''),
        },
        await this.durations.estimates(),
        BACK_IN_QUEUE,
      );
      this.failing = false;
    } catch (error) {
      if (this.failing) return;
      this.failing = true;
      this.logger.warn(`queue positions not refreshed: ${errorMessage(error)}`);
    }
  }
}
