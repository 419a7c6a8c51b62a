import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module';
import { HealthController } from './health.controller';
import { ConfigController } from './public-config.controller';
import { HealthService } from './health.service';

/** The service describing itself: GET /api/health (liveness, queue, sidecar) and GET /api/config (the settings the web app needs). */
@Module({
  imports: [TasksModule],
  controllers: [HealthController, ConfigController],
  providers: [HealthService],
})
export class HealthModule {}
