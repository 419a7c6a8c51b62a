import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { FormatsModule } from '../formats/formats.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { CleanupService } from './cleanup.service';

@Module({
  // The owners of what it forgets with the models it deletes: task records, records of formats.
  imports: [ScheduleModule.forRoot(), StorageModule, TasksModule, FormatsModule],
  providers: [CleanupService, Clock],
  exports: [CleanupService],
})
export class CleanupModule {}
