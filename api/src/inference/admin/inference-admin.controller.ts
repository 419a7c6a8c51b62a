import { BadRequestException, Controller, HttpCode, PipeTransform, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBodyDto } from '../../common/error-body.dto';
import { AdminTokenGuard } from './admin-token.guard';
import { InferenceRestartAcceptedDto } from './inference-admin.dto';
import { InferenceAdminService } from './inference-admin.service';

/** The force query: absent, empty, false or 0 is false; true or 1 is true; anything else is a 400. */
export class ParseForcePipe implements PipeTransform<string | undefined, boolean> {
  transform(raw: string | undefined): boolean {
    if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
    if (raw === 'true' || raw === '1') return true;
    throw new BadRequestException('force must be true or false');
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
      'starts a fresh one. With force=true the sidecar is killed at once and the running job fails.',
  })
  @ApiBearerAuth()
  @ApiQuery({ name: 'force', required: false, type: Boolean, description: 'Kill at once (default false)' })
  @ApiAcceptedResponse({ type: InferenceRestartAcceptedDto, description: 'The restart has begun' })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'force is not true or false' })
  @ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong bearer token' })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: 'ADMIN_TOKEN is not set: admin routes are off' })
  @ApiConflictResponse({ type: ErrorBodyDto, description: 'The sidecar runs elsewhere (INFERENCE_URL)' })
  @ApiServiceUnavailableResponse({ type: ErrorBodyDto, description: 'The api is shutting down' })
  restart(@Query('force', ParseForcePipe) force: boolean): Promise<InferenceRestartAcceptedDto> {
    return this.admin.restart(force);
  }
}
