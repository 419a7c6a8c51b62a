import { Controller, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOperatorName } from '../../access/admin-operator';
import { AdminTokenGuard } from '../../access/admin-token.guard';
import { ApiErrorResponses } from '../../common/error-body.dto';
import { ParseForcePipe } from '../../inference/admin/inference-admin.controller';
import { WorkerRestartAcceptedDto, WorkerRestartAllDto } from './worker-restart.dto';
import { WorkerRestarts } from './worker-restarts.service';

const FORCE_QUERY = {
  name: 'force',
  required: false,
  type: Boolean,
  description: 'Kill at once (default false: after the running job)',
} as const;

/**
 * Restart a worker's sidecar from any api process (docs/design.md, HTTP contract: a worker's
 * sidecar), behind AdminTokenGuard like every admin route; the worker does it through its own
 * InferenceAdminService (WorkerRestarts, WorkerRestartListener).
 */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('api/admin/workers')
export class WorkerRestartController {
  constructor(private readonly restarts: WorkerRestarts) {}

  @Post('inference/restart')
  @HttpCode(200)
  @ApiOperation({
    summary: "Restart every live worker's inference sidecar (operators)",
    description:
      'Asks every worker on this Redis at once, as POST /api/admin/workers/{worker_id}/inference/restart does one, and ' +
      "answers each one's outcome (status 202, or its error: sidecar_not_managed, sidecar_stopped, worker_no_answer) " +
      'within about 5 s.',
  })
  @ApiQuery(FORCE_QUERY)
  @ApiOkResponse({ type: WorkerRestartAllDto, description: "Every live worker's outcome" })
  @ApiErrorResponses('invalid_parameter', 'unauthorized', 'not_found', 'internal_error', 'store_unavailable')
  restartAll(
    @Query('force', ParseForcePipe) force: boolean,
    @AdminOperatorName() operator: string,
  ): Promise<WorkerRestartAllDto> {
    return this.restarts.restartAll(force, operator);
  }

  @Post(':workerId/inference/restart')
  @HttpCode(202)
  @ApiOperation({
    summary: "Restart one worker's inference sidecar (operators)",
    description:
      'From any api process: the worker (GET /api/health `workers[].id`) restarts its own sidecar as POST ' +
      '/api/admin/inference/restart would there (graceful by default: after the running job; force=true kills at ' +
      'once and the running task starts over) and its answer is relayed through Redis. A worker that does not take ' +
      'the request within 5 s gets it withdrawn (504 worker_no_answer): nothing restarts later.',
  })
  @ApiParam({ name: 'workerId', description: "the worker's id (GET /api/health workers[].id)" })
  @ApiQuery(FORCE_QUERY)
  @ApiAcceptedResponse({ type: WorkerRestartAcceptedDto, description: 'The worker began the restart' })
  @ApiErrorResponses(
    'invalid_parameter',
    'unauthorized',
    'not_found',
    'worker_not_found',
    'sidecar_not_managed',
    'internal_error',
    'sidecar_stopped',
    'store_unavailable',
    'worker_no_answer',
  )
  restartOne(
    @Param('workerId') workerId: string,
    @Query('force', ParseForcePipe) force: boolean,
    @AdminOperatorName() operator: string,
  ): Promise<WorkerRestartAcceptedDto> {
    return this.restarts.restartOne(workerId, force, operator);
  }
}
