import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { StorageModule } from '../storage/storage.module';
import { AdmissionService } from './admission.service';
import { DurationsService } from './durations.service';
import { GenerationProcessor } from './generation.processor';
import { GenerationService } from './generation.service';
import { GENERATION_QUEUE } from './job-names';
import { TaskEventsService } from './task-events.service';
import { TaskQueueService } from './task-queue.service';
import { TaskStore } from './task-store.service';

/**
 * Bull keeps the jobs in Redis (they survive an api restart). A job that was running when its
 * api died is "stalled" once its lock lapses (lockDuration) and Bull requeues it at the head
 * of the queue, once; a second stall fails the task with 500 "Internal error".
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ url: config.redisUrl, prefix: RedisKeys.bullPrefix }),
    }),
    BullModule.registerQueue({
      name: GENERATION_QUEUE,
      settings: { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 1 },
    }),
    StorageModule,
  ],
  providers: [
    Clock,
    TaskStore,
    AdmissionService,
    DurationsService,
    TaskEventsService,
    GenerationService,
    GenerationProcessor,
    TaskQueueService,
  ],
  exports: [
    TaskStore,
    TaskEventsService,
    TaskQueueService,
    DurationsService,
    AdmissionService,
    BullModule,
    Clock,
  ],
})
export class QueueModule {}
