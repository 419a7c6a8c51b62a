import { Module } from '@nestjs/common';
import { AccessGuard } from './access.guard';
import { AccessService } from './access.service';

/** Optional access control (AccessControlled on the generate and task controllers). */
@Module({
  providers: [AccessService, AccessGuard],
  exports: [AccessService, AccessGuard],
})
export class AccessModule {}
