import { ApiProperty } from '@nestjs/swagger';

export class GenerateUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'One JPEG, PNG or WebP picture (judged by content), at most MAX_UPLOAD_MB.',
  })
  image!: unknown;
}

export class GenerateAcceptedDto {
  @ApiProperty({ example: true })
  success!: true;
  @ApiProperty({ example: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', format: 'uuid' })
  task_id!: string;
  @ApiProperty({
    example: 'https://api.example.com/api/status/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
    description: 'SSE stream of the task',
  })
  status_url!: string;
  @ApiProperty({
    example: 1,
    description: 'Place among waiting tasks (1 = runs next); 0 when it is already running.',
  })
  queue_position!: number;
}

export class GenerateDoneDto {
  @ApiProperty({ example: true })
  success!: true;
  @ApiProperty({ example: 'https://api.example.com/static/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90.glb' })
  model_url!: string;
  @ApiProperty({
    example: 41.7,
    description: 'Seconds from the start of processing to the model being served',
  })
  generation_time!: number;
  @ApiProperty({ example: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', format: 'uuid' })
  task_id!: string;
}
