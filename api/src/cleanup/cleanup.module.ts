import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { StorageModule } from '../storage/storage.module';
import { CleanupService } from './cleanup.service';

@Module({
  imports: [ScheduleModule.forRoot(), StorageModule],
  providers: [CleanupService, Clock],
  exports: [CleanupService],
})
export class CleanupModule {}
