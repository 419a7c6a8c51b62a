import { Module } from '@nestjs/common';
import { TaskRunner } from '../run/task-runner.service';
import { TasksModule } from '../tasks.module';
import { GenerationProcessor } from './generation.processor';

/**
 * This process's Bull worker (GenerationProcessor: one job at a time, its own sidecar, through
 * TaskRunner). Imported
 * only by a process that runs jobs (KILN_ROLE all or worker, AppModule), so an api-only process
 * never takes a job.
 */
@Module({
  imports: [TasksModule],
  providers: [TaskRunner, GenerationProcessor],
})
export class GenerationWorkerModule {}
