import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CleanupModule } from './cleanup/cleanup.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { type AppConfig, runsJobs } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { FormatsModule } from './formats/formats.module';
import { GenerateModule } from './generate/generate.module';
import { HealthModule } from './health/health.module';
import { NoSidecarAdminModule } from './inference/admin/no-sidecar-admin.module';
import { InferenceModule } from './inference/inference.module';
import { MetricsModule } from './metrics/metrics.module';
import { OpsModule } from './ops/ops.module';
import { RedisModule } from './redis/redis.module';
import { StorageModule } from './storage/storage.module';
import { GenerationWorkerModule } from './tasks/run/generation-worker.module';
import { TasksModule } from './tasks/tasks.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        RedisModule,
        // Only a process that runs jobs has a sidecar (KILN_ROLE all or worker); an api-only one
        // refuses the sidecar's admin route in words.
        ...(runsJobs(config) ? [InferenceModule] : [NoSidecarAdminModule]),
        // Modules register their routes in this order, which is the order of api/openapi.json's paths.
        StorageModule,
        GenerateModule,
        TasksModule,
        WebhooksModule,
        FormatsModule,
        HealthModule,
        CleanupModule,
        OpsModule,
        MetricsModule,
        ...(runsJobs(config) ? [GenerationWorkerModule] : []),
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
