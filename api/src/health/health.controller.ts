import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiInternalErrorResponse } from '../common/error-body.dto';
import { HealthDto } from './health.dto';
import { HealthService } from './health.service';

/** GET /api/health: the route's contract; HealthService gathers the report. */
@ApiTags('health')
@ApiInternalErrorResponse()
@Controller('api/health')
export class HealthController {
  constructor(private readonly checker: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Redis, inference sidecar and queue state' })
  @ApiOkResponse({
    type: HealthDto,
    description: 'Redis up and the sidecar not down/failed (it may still be loading)',
  })
  @ApiResponse({
    status: 503,
    type: HealthDto,
    description: 'Redis unreachable, or the sidecar down or failed',
  })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const report = await this.checker.check();
    res.status(report.httpStatus);
    return report.body;
  }
}
