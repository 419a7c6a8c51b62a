import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';
import { TaskMetricsListener } from './task-metrics.listener';

/** GET /metrics (Prometheus) and what feeds it: the task events, the queue, the sidecar's health. */
@Module({
  imports: [TasksModule],
  controllers: [MetricsController],
  providers: [MetricsService, TaskMetricsListener, MetricsTokenGuard],
})
export class MetricsModule {}
