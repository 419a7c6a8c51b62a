import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiInternalErrorResponse } from '../common/error-body.dto';

export class PublicConfigDto {
  @ApiProperty({ example: 10, description: 'Upload limit in MB (MAX_UPLOAD_MB)' })
  max_upload_mb!: number;
  @ApiProperty({ example: 48, description: 'Hours a model is kept (RETENTION_HOURS)' })
  retention_hours!: number;
  @ApiProperty({ example: 180, description: 'Per-job limit in seconds (JOB_TIMEOUT_S)' })
  job_timeout_s!: number;
  @ApiProperty({ example: 5, description: 'Tasks allowed to wait besides the running one (MAX_QUEUE)' })
  max_queue!: number;
}

@ApiTags('config')
@ApiInternalErrorResponse()
@Controller('api/config')
export class ConfigController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @ApiOkResponse({ type: PublicConfigDto, description: 'The settings the web app needs; nothing secret.' })
  get(): PublicConfigDto {
    return {
      max_upload_mb: this.config.maxUploadMb,
      retention_hours: this.config.retentionHours,
      job_timeout_s: this.config.jobTimeoutS,
      max_queue: this.config.maxQueue,
    };
  }
}
