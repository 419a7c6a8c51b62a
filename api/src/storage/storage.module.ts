import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { GlbOptimizer, WorkerGlbOptimizer } from '../glb/glb-optimizer';
import { LocalModelStore } from './local-model-store';
import { ModelDeliveryService } from './model-delivery.service';
import { ModelStore } from './model-store';
import { StaticController } from './static.controller';
import { StorageService } from './storage.service';
import { StoreDiskSpace } from './store-disk-space';

/**
 * The one place that chooses the store: STORAGE_URL s3://… is a bucket, anything else the
 * STATIC_DIR folder. The S3 client (@aws-sdk/client-s3, a megabyte of code) loads only for a
 * bucket, so an api on the folder, every test's included, does not parse it at start.
 */
export async function createModelStore(config: AppConfig): Promise<ModelStore> {
  if (config.storage.kind === 's3') {
    const { S3ModelStore } = await import('./s3-model-store.js');
    return new S3ModelStore(config.storage, config.staticDir);
  }
  return new LocalModelStore(config.staticDir);
}

@Module({
  controllers: [StaticController],
  providers: [
    StorageService,
    ModelDeliveryService,
    { provide: ModelStore, inject: [APP_CONFIG], useFactory: createModelStore },
    { provide: GlbOptimizer, useFactory: () => new WorkerGlbOptimizer() },
    Clock,
    // One per process: its statfs is shared by every upload, download and health poll.
    StoreDiskSpace,
  ],
  exports: [StorageService, ModelStore, ModelDeliveryService, StoreDiskSpace],
})
export class StorageModule {}
