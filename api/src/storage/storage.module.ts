import { Module } from '@nestjs/common';
import { GlbOptimizer, WorkerGlbOptimizer } from '../glb/glb-optimizer';
import { StaticController } from './static.controller';
import { StorageService } from './storage.service';

@Module({
  controllers: [StaticController],
  providers: [StorageService, { provide: GlbOptimizer, useFactory: () => new WorkerGlbOptimizer() }],
  exports: [StorageService],
})
export class StorageModule {}
