import { UseGuards, applyDecorators } from '@nestjs/common';
import { ApiErrorResponses } from '../common/error-body.dto';
import { ReadRateGuard } from './read-rate.guard';

/** Puts a task route under READS_PER_MINUTE (ReadRateGuard) and documents its 429. */
export const ReadRateLimited = (): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(ReadRateGuard), ApiErrorResponses('too_many_requests'));
