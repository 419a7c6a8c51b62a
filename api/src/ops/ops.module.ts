import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdminTokenGuard } from '../access/admin-token.guard';
import { CleanupModule } from '../cleanup/cleanup.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { OpsController } from './ops.controller';
import { OpsService } from './ops.service';
import { StoreUsage } from './store-usage';

/**
 * The ops console's api (GET /api/admin/overview, admissions pause and resume, cleanup now, the
 * operator's cancel), behind ADMIN_TOKEN. The console itself is the web app's /ops page.
 */
@Module({
  imports: [TasksModule, CleanupModule, StorageModule, AccessModule],
  controllers: [OpsController],
  providers: [OpsService, StoreUsage, AdminTokenGuard],
})
export class OpsModule {}
