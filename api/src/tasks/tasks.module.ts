import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { AccessModule } from '../access/access.module';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { reconnectDelayMs } from '../redis/redis.service';
import { StorageModule } from '../storage/storage.module';
import { TaskIntakeService } from './intake/task-intake.service';
import { TaskLifecycle } from './lifecycle/task-lifecycle.service';
import { QualityPresetsService } from './options/quality-presets.service';
import { LimitsModule } from '../limits/limits.module';
import { StreamSlots } from './stream/stream-slots';
import { DecodeGate } from './intake/decode-gate';
import { MeshIntake, MeshReader, PythonMeshReader } from './intake/mesh-intake';
import { RepeatRegistry } from './repeats/repeat-registry';
import { AdmissionService, RESERVATION_GRACE, RESERVATION_GRACE_MS } from './admission/admission.service';
import { JobDurationsService } from './options/job-durations.service';
import { GENERATION_QUEUE, QUEUE_SETTINGS, WEB_MODEL_QUEUE } from './queue/job-names';
import { TaskEventsService } from './events/task-events.service';
import { QueuePositionsService } from './lifecycle/queue-positions.service';
import { RecentFailures } from './lifecycle/recent-failures';
import { TaskQueueService } from './queue/task-queue.service';
import { RunningJobsService } from './jobs/running-jobs.service';
import { PreviewStore } from './state/preview-store.service';
import { TaskStore } from './state/task-store.service';
import { TaskSseMessages } from './stream/task-sse-messages';
import { TaskStreamService } from './stream/task-stream.service';
import { StatusController } from './status.controller';
import { WorkerRegistry } from './workers/worker-registry.service';

/**
 * The task domain: admission, the Bull queue and its processor, task state and events in Redis,
 * the SSE stream, and the task routes (GET /api/status/{id}, GET/DELETE /api/tasks/{id}).
 *
 * Bull keeps the jobs in Redis (they survive an api restart). A job that was running when its
 * api died is "stalled" once its lock lapses (QUEUE_SETTINGS); its task reads `queued` from then
 * on, and Bull runs it again at the head of the queue, once; a second stall fails the task with
 * 500 "Internal error" (GenerationProcessor). A graceful stop re-adds the running job at the head.
 * A model's web optimisation is a job of a second queue (WebModelProcessor), so the GPU's next
 * job starts while it runs; it follows the same lock and stalled rules.
 * The Bull workers themselves (GenerationProcessor, WebModelProcessor) are GenerationWorkerModule's,
 * which a process imports only when it runs jobs (KILN_ROLE all or worker); every process
 * announces itself in the WorkerRegistry.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        url: config.redisUrl,
        prefix: RedisKeys.bullPrefix,
        // Back within 2 s of Redis, as the api's own connections (RedisService).
        redis: { retryStrategy: reconnectDelayMs },
      }),
    }),
    BullModule.registerQueue(
      { name: GENERATION_QUEUE, settings: QUEUE_SETTINGS },
      { name: WEB_MODEL_QUEUE, settings: QUEUE_SETTINGS },
    ),
    StorageModule,
    AccessModule,
    LimitsModule,
  ],
  controllers: [StatusController],
  providers: [
    Clock,
    TaskStore,
    PreviewStore,
    AdmissionService,
    { provide: RESERVATION_GRACE, useValue: RESERVATION_GRACE_MS },
    JobDurationsService,
    TaskEventsService,
    // One per process: the SSE messages every stream of a task event shares.
    { provide: TaskSseMessages, useFactory: () => new TaskSseMessages() },
    TaskStreamService,
    StreamSlots,
    QueuePositionsService,
    RunningJobsService,
    TaskQueueService,
    TaskLifecycle,
    RecentFailures,
    WorkerRegistry,
    TaskIntakeService,
    DecodeGate,
    MeshIntake,
    {
      provide: MeshReader,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new PythonMeshReader(config.inferenceDir, config.meshIntakeTimeoutMs),
    },
    QualityPresetsService,
    RepeatRegistry,
  ],
  exports: [
    BullModule,
    StorageModule,
    TaskEventsService,
    TaskQueueService,
    TaskLifecycle,
    AdmissionService,
    TaskStore,
    PreviewStore,
    JobDurationsService,
    RunningJobsService,
    Clock,
    QueuePositionsService,
    WorkerRegistry,
    TaskIntakeService,
    QualityPresetsService,
    RecentFailures,
  ],
})
export class TasksModule {}
