import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The task snapshot clients see (JSON of GET /api/tasks/{id} and of every SSE event). */
export class TaskViewDto {
  @ApiProperty({ format: 'uuid' })
  task_id!: string;
  @ApiProperty({ enum: ['queued', 'processing', 'completed', 'failed'] })
  status!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
  @ApiPropertyOptional({ description: 'queued: 1 = runs next' })
  position?: number;
  @ApiPropertyOptional({
    description: 'queued: seconds until it is expected to start (position x mean job time)',
  })
  eta_s?: number;
  @ApiPropertyOptional({ description: 'processing/completed: 0-100' })
  progress?: number;
  @ApiPropertyOptional({ enum: ['preprocess', 'structure', 'geometry', 'texture', 'export'] })
  stage?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  started_at?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  finished_at?: string;
  @ApiPropertyOptional({ description: 'completed: the web GLB, absolute' })
  model_url?: string;
  @ApiPropertyOptional({ description: "completed: the engine's original GLB, absolute" })
  download_url?: string;
  @ApiPropertyOptional({ description: 'completed: seconds' })
  generation_time?: number;
  @ApiPropertyOptional({ description: 'completed: trellis2, inflate or simulate' })
  engine?: string;
  @ApiPropertyOptional()
  triangles?: number;
  @ApiPropertyOptional({ description: 'failed: the contract message, e.g. "Generation timeout"' })
  error?: string;
  @ApiPropertyOptional({
    description: 'failed: the HTTP status of that error (400, 409 cancelled, 500, 504)',
  })
  http_status?: number;
  @ApiPropertyOptional({ description: 'failed: true when cancelled' })
  cancelled?: boolean;
}
