import { Module } from '@nestjs/common';
import { UploadRateGuard } from './upload-rate.guard';
import { UploadRateService } from './upload-rate.service';

/**
 * Abuse limits that are not task state: uploads per client per minute (UploadRateLimited on a
 * route). The active-task limit is the task domain's (tasks/admission), judged with the queue slot.
 */
@Module({
  providers: [UploadRateService, UploadRateGuard],
  exports: [UploadRateService, UploadRateGuard],
})
export class LimitsModule {}
