import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { CleanupService } from './cleanup.service';
import { ModelFiles } from './model-files';

@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [CleanupService, ModelFiles, Clock],
  exports: [CleanupService],
})
export class CleanupModule {}
