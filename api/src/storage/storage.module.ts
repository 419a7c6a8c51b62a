import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { GlbOptimizer, WorkerGlbOptimizer } from '../glb/glb-optimizer';
import { LocalModelStore } from './local-model-store';
import { ModelDeliveryService } from './model-delivery.service';
import { ModelStore } from './model-store';
import { S3ModelStore } from './s3-model-store';
import { StaticController } from './static.controller';
import { StorageService } from './storage.service';

/** The one place that chooses the store: STORAGE_URL s3://… is a bucket, anything else the STATIC_DIR folder. */
export function createModelStore(config: AppConfig): ModelStore {
  if (config.storage.kind === 's3') return new S3ModelStore(config.storage, config.staticDir);
  return new LocalModelStore(config.staticDir);
}

@Module({
  controllers: [StaticController],
  providers: [
    StorageService,
    ModelDeliveryService,
    { provide: ModelStore, inject: [APP_CONFIG], useFactory: createModelStore },
    { provide: GlbOptimizer, useFactory: () => new WorkerGlbOptimizer() },
  ],
  exports: [StorageService, ModelStore],
})
export class StorageModule {}
