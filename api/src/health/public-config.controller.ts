import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ApiInternalErrorResponse } from '../common/error-body.dto';

export class PublicConfigDto {
  @ApiProperty({ example: 10, description: 'Upload limit in MB (MAX_UPLOAD_MB)' })
  max_upload_mb!: number;
  @ApiProperty({ example: 50, description: 'Limit of a mesh sent to POST /api/texture in MB (MAX_MESH_MB)' })
  max_mesh_mb!: number;
  @ApiProperty({ example: 200000, description: 'Most triangles of a mesh to texture (TEXTURE_MAX_FACES)' })
  texture_max_faces!: number;
  @ApiProperty({ example: 48, description: 'Hours a model is kept (RETENTION_HOURS)' })
  retention_hours!: number;
  @ApiProperty({ example: 180, description: 'Per-job limit in seconds (JOB_TIMEOUT_S)' })
  job_timeout_s!: number;
  @ApiProperty({ example: 5, description: 'Tasks allowed to wait besides the running one (MAX_QUEUE)' })
  max_queue!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://3d.example.com',
    description:
      'PUBLIC_BASE_URL: the address links handed out name (a share page copied from any address the page is opened at); null: the address of each request',
  })
  public_base_url!: string | null;
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
      max_mesh_mb: this.config.maxMeshMb,
      texture_max_faces: this.config.textureMaxFaces,
      retention_hours: this.config.retentionHours,
      job_timeout_s: this.config.jobTimeoutS,
      max_queue: this.config.maxQueue,
      public_base_url: this.config.publicBaseUrl ?? null,
    };
  }
}
