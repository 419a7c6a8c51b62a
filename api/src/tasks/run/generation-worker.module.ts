import { Module } from '@nestjs/common';
import { TaskRunner } from './task-runner.service';
import { TasksModule } from '../tasks.module';
import { GenerationProcessor } from './generation.processor';
import { WebModelProcessor } from './web-model.processor';

/**
 * This process's Bull workers (GenerationProcessor: one GPU job at a time, its own sidecar,
 * through TaskRunner; WebModelProcessor: the web model of a finished GPU job). Imported only by a process that runs jobs (KILN_ROLE all or worker, AppModule), so an api-only process
 * never takes a job.
 */
@Module({
  imports: [TasksModule],
  providers: [TaskRunner, GenerationProcessor, WebModelProcessor],
})
export class GenerationWorkerModule {}
