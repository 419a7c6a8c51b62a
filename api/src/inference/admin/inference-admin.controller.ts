import { Controller, HttpCode, PipeTransform, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../../common/api-error';
import { ApiErrorResponses } from '../../common/error-body.dto';
import { AdminOperatorName } from '../../access/admin-operator';
import { AdminTokenGuard } from '../../access/admin-token.guard';
import { InferenceRestartAcceptedDto } from './inference-admin.dto';
import { InferenceAdminService } from './inference-admin.service';

/** The force query: absent, empty, false or 0 is false; true or 1 is true; anything else is a 400 invalid_parameter. */
export class ParseForcePipe implements PipeTransform<string | undefined, boolean> {
  transform(raw: string | undefined): boolean {
    if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
    if (raw === 'true' || raw === '1') return true;
    throw new ApiError('invalid_parameter', { params: { name: 'force' } });
  }
}

/** Admin routes of the inference sidecar (on only with ADMIN_TOKEN). */
@ApiTags('admin')
@Controller('api/admin/inference')
export class InferenceAdminController {
  constructor(private readonly admin: InferenceAdminService) {}

  @Post('restart')
  @HttpCode(202)
  @UseGuards(AdminTokenGuard)
  @ApiOperation({
    summary: 'Restart the inference sidecar',
    description:
      'Graceful by default: waits for the running job to finish, then stops the sidecar (SIGTERM) and ' +
      'starts a fresh one. With force=true the sidecar is killed at once and the running task starts over on the fresh sidecar.',
  })
  @ApiBearerAuth()
  @ApiQuery({ name: 'force', required: false, type: Boolean, description: 'Kill at once (default false)' })
  @ApiAcceptedResponse({ type: InferenceRestartAcceptedDto, description: 'The restart has begun' })
  @ApiErrorResponses(
    'invalid_parameter',
    'unauthorized',
    'not_found',
    'sidecar_not_managed',
    'internal_error',
    'sidecar_stopped',
  )
  restart(
    @Query('force', ParseForcePipe) force: boolean,
    @AdminOperatorName() operator: string,
  ): Promise<InferenceRestartAcceptedDto> {
    return this.admin.restart(force, operator);
  }
}
