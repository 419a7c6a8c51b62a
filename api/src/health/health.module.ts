import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../access/admin-token.guard';
import { TasksModule } from '../tasks/tasks.module';
import { AdminHealthController } from './admin-health.controller';
import { HealthController } from './health.controller';
import { ConfigController } from './public-config.controller';
import { HealthService } from './health.service';

/**
 * The service describing itself: GET /api/health (liveness, queue, sidecar), GET /api/admin/health
 * (the same with each worker's task, for operators) and GET /api/config (the settings the web app needs).
 */
@Module({
  imports: [TasksModule],
  controllers: [HealthController, AdminHealthController, ConfigController],
  providers: [HealthService, AdminTokenGuard],
})
export class HealthModule {}
