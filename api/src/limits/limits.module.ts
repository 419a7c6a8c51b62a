import { Module } from '@nestjs/common';
import { ReadRateGuard } from './read-rate.guard';
import { ReadRateService } from './read-rate.service';
import { UploadRateGuard } from './upload-rate.guard';
import { UploadRateService } from './upload-rate.service';

/**
 * Abuse limits that are not task state: uploads per client per minute (UploadRateLimited on a
 * route), reads and cancels per client per minute (ReadRateLimited). The active-task limit is the task domain's (tasks/admission), judged with the queue slot.
 */
@Module({
  providers: [UploadRateService, UploadRateGuard, ReadRateService, ReadRateGuard],
  exports: [UploadRateService, UploadRateGuard, ReadRateService, ReadRateGuard],
})
export class LimitsModule {}
