import { UseGuards, applyDecorators } from '@nestjs/common';
import { ApiErrorResponses } from '../common/error-body.dto';
import { UploadRateGuard } from './upload-rate.guard';

/** Puts a route under UPLOADS_PER_MINUTE (UploadRateGuard) and documents its 429. */
export const UploadRateLimited = (): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(UploadRateGuard), ApiErrorResponses('too_many_requests'));
