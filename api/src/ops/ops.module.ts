import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdminTokenGuard } from '../access/admin-token.guard';
import { CleanupModule } from '../cleanup/cleanup.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { OpsController } from './ops.controller';
import { OpsService } from './ops.service';
import { StoreUsage } from './store-usage';
import { WorkerRestartController } from './worker-restart/worker-restart.controller';
import { WorkerRestartListener } from './worker-restart/worker-restart-listener.service';
import { WorkerRestarts } from './worker-restart/worker-restarts.service';

/**
 * The ops console's api (GET /api/admin/overview, admissions pause and resume, cleanup now, the
 * operator's cancel, a worker's sidecar restart through Redis), behind ADMIN_TOKEN. The console
 * itself is the web app's /ops page. WorkerRestartListener is the worker's side of that restart
 * (it listens only in a process that runs jobs).
 */
@Module({
  imports: [TasksModule, CleanupModule, StorageModule, AccessModule],
  controllers: [OpsController, WorkerRestartController],
  providers: [OpsService, StoreUsage, AdminTokenGuard, WorkerRestarts, WorkerRestartListener],
})
export class OpsModule {}
