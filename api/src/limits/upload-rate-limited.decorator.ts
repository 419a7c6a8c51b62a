import { UseGuards, applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from '../common/error-body.dto';
import { UploadRateGuard } from './upload-rate.guard';

/** Puts a route under UPLOADS_PER_MINUTE (UploadRateGuard) and documents its 429. */
export const UploadRateLimited = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    UseGuards(UploadRateGuard),
    ApiResponse({
      status: 429,
      type: ErrorBodyDto,
      description:
        '"Too many requests, retry later": this client sent UPLOADS_PER_MINUTE uploads in the current minute, ' +
        'or holds ACTIVE_TASKS_PER_CLIENT unfinished tasks. Retry-After says when to try again (s).',
      headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
    }),
  );
