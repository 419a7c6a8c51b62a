import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminTokenGuard } from '../access/admin-token.guard';
import { ApiErrorResponses } from '../common/error-body.dto';
import { AdminHealthDto } from './health.dto';
import { HealthService } from './health.service';

/**
 * GET /api/admin/health: the operator's health, with the task each busy worker runs. Task ids
 * stay off the public GET /api/health (anyone polling it would find every task); an operator
 * gets them here with `Authorization: Bearer <ADMIN_TOKEN>`, like the other admin routes
 * (AdminTokenGuard: 404 while ADMIN_TOKEN is unset, 401 without it).
 */
@ApiTags('admin')
@Controller('api/admin/health')
export class AdminHealthController {
  constructor(private readonly checker: HealthService) {}

  @Get()
  @UseGuards(AdminTokenGuard)
  @ApiOperation({
    summary: 'Health with the running task of each worker (operators)',
    description:
      'The body of GET /api/health, each worker with its task_id (busy: the task it runs; else null).',
  })
  @ApiBearerAuth()
  @ApiOkResponse({ type: AdminHealthDto, description: 'As GET /api/health (200 ok)' })
  @ApiResponse({ status: 503, type: AdminHealthDto, description: 'As GET /api/health (503 degraded)' })
  @ApiErrorResponses('unauthorized', 'not_found', 'internal_error')
  async health(@Res({ passthrough: true }) res: Response): Promise<AdminHealthDto> {
    const report = await this.checker.checkForAdmin();
    res.status(report.httpStatus);
    return report.body;
  }
}
