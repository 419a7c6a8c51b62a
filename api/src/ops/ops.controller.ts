import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminOperatorName } from '../access/admin-operator';
import { AdminTokenGuard } from '../access/admin-token.guard';
import { ApiErrorResponses } from '../common/error-body.dto';
import { requestBaseUrl } from '../common/public-url';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TaskViewDto } from '../tasks/task-view.dto';
import { OpsAdmissionsChangeDto, OpsCleanupDto, OpsOverviewDto } from './ops.dto';
import { OpsService } from './ops.service';

/**
 * The ops console's routes (docs/design.md, HTTP contract: admin routes), all behind
 * AdminTokenGuard (404 while ADMIN_TOKEN is unset, 401 without `Authorization: Bearer
 * <ADMIN_TOKEN>`); each action is logged with its operator (AdminOperatorName) by OpsService.
 */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('api/admin')
export class OpsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ops: OpsService,
  ) {}

  @Get('overview')
  @ApiOperation({
    summary: 'Everything the ops console shows (operators)',
    description:
      'Workers and their sidecars, the queue (no tokens, no pictures), failures by error_code over the last ' +
      'hour and day, job durations per quality, store usage with the next cleanup, and whether admissions are paused.',
  })
  @ApiOkResponse({ type: OpsOverviewDto })
  @ApiErrorResponses('unauthorized', 'not_found', 'internal_error')
  overview(): Promise<OpsOverviewDto> {
    return this.ops.overview();
  }

  @Post('admissions/pause')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pause admissions (operators)',
    description:
      'Every api process on this Redis answers new uploads 503 admissions_paused with Retry-After, before ' +
      'decoding them; running and queued tasks go on. Idempotent (a repeat keeps the first pause).',
  })
  @ApiOkResponse({ type: OpsAdmissionsChangeDto })
  @ApiErrorResponses('unauthorized', 'not_found', 'internal_error')
  pause(@AdminOperatorName() operator: string): Promise<OpsAdmissionsChangeDto> {
    return this.ops.pause(operator);
  }

  @Post('admissions/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume admissions (operators)', description: 'Ends a pause. Idempotent.' })
  @ApiOkResponse({ type: OpsAdmissionsChangeDto })
  @ApiErrorResponses('unauthorized', 'not_found', 'internal_error')
  resume(@AdminOperatorName() operator: string): Promise<OpsAdmissionsChangeDto> {
    return this.ops.resume(operator);
  }

  @Post('cleanup')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run the model cleanup now (operators)',
    description:
      'Deletes what the CLEANUP_CRON run would (models older than RETENTION_HOURS); answers what it deleted.',
  })
  @ApiOkResponse({ type: OpsCleanupDto })
  @ApiErrorResponses('unauthorized', 'not_found', 'internal_error')
  cleanup(@AdminOperatorName() operator: string): Promise<OpsCleanupDto> {
    return this.ops.cleanupNow(operator);
  }

  @Delete('tasks/:taskId')
  @ApiOperation({
    summary: "Cancel any task without its token (the operator's cancel)",
    description:
      'As DELETE /api/tasks/{id} (the same transition: failed 409 task_cancelled, cancelled true) without ' +
      'X-Task-Token. Answers the final snapshot.',
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiOkResponse({ type: TaskViewDto, description: 'Cancelled: the failed snapshot' })
  @ApiErrorResponses('unauthorized', 'not_found', 'task_not_found', 'task_already_finished', 'internal_error')
  cancel(
    @Param('taskId') taskId: string,
    @AdminOperatorName() operator: string,
    @Req() req: Request,
  ): Promise<TaskViewDto> {
    return this.ops.cancel(taskId, operator, requestBaseUrl(this.config.publicBaseUrl, req));
  }
}
