import type { TaskAccepted, TaskDone } from '../tasks/intake/task-intake.service';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DEFAULT_OPTIONS,
  MAX_FACES,
  MAX_SEED,
  MIN_FACES,
  QUALITIES,
  TEXTURE_SIZES,
} from '../tasks/options/generation-options';

export class GenerateUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'One JPEG, PNG or WebP picture (judged by content), at most MAX_UPLOAD_MB.',
  })
  image!: unknown;
  @ApiPropertyOptional({
    enum: QUALITIES,
    default: DEFAULT_OPTIONS.quality,
    description:
      "TRELLIS.2's pipeline type: fast = 512, balanced = 1024 cascade (fits a 24 GB card), high = 1536 cascade. " +
      'Engines without one (inflate, simulate) ignore it and say so (ignored_options).',
  })
  quality?: string;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_SEED,
    default: DEFAULT_OPTIONS.seed,
    description: 'Random seed: the same picture, options and seed repeat a result. The task records it.',
  })
  seed?: number;
  @ApiPropertyOptional({
    type: 'integer',
    enum: TEXTURE_SIZES,
    default: DEFAULT_OPTIONS.texture_size,
    description: 'Texture side (px)',
  })
  texture_size?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: MIN_FACES,
    maximum: MAX_FACES,
    default: DEFAULT_OPTIONS.faces,
    description:
      "Decimation target (faces). The trellis2 engine uses at least 100000 (lower targets break its export); the finished task's triangles count what the model holds.",
  })
  faces?: number;
  @ApiPropertyOptional({
    format: 'uri',
    maxLength: 2048,
    description:
      "A receiver of this task's webhooks (completed and failed; every status when the owner set WEBHOOK_EVENTS=all): " +
      'a signed POST per the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature) of ' +
      '{type, timestamp, data: the task snapshot}, retried with exponential backoff for WEBHOOK_RETRY_FOR_S. https ' +
      'only, no credentials in it, never to a loopback, private, link-local or other non-public address (judged again ' +
      'after DNS on every attempt and redirect), unless the owner set WEBHOOK_ALLOW_PRIVATE. 400 invalid_option while ' +
      'the server has no WEBHOOK_SECRET. The maker follows the deliveries at GET /api/tasks/{id}/webhooks.',
  })
  callback_url?: string;
}

export class GenerateAcceptedDto implements TaskAccepted {
  @ApiProperty({ example: true })
  success!: true;
  @ApiProperty({ example: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', format: 'uuid' })
  task_id!: string;
  @ApiProperty({
    example: 'kT3u0Qx2b0c9mJ4yJ8wQmRk1sZ6fQvH3nA7pL2eX5dU',
    description:
      'Secret of the task: send it as X-Task-Token to cancel (DELETE /api/tasks/{id}); shown once. ' +
      'Reading the task, its events, preview and models needs only the id (a share link).',
  })
  task_token!: string;
  @ApiProperty({
    example: 'https://api.example.com/api/status/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
    description: 'SSE stream of the task',
  })
  status_url!: string;
  @ApiProperty({
    example: 'https://api.example.com/t/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
    description:
      "The web app's page that shows the task being made, then its model, to anyone it is passed to (read only)",
  })
  watch_url!: string;
  @ApiProperty({
    example: 1,
    description: 'Place among waiting tasks (1 = runs next); 0 when it is already running.',
  })
  queue_position!: number;
}

export class GenerateDoneDto implements TaskDone {
  @ApiProperty({ example: true })
  success!: true;
  @ApiProperty({ example: 'https://api.example.com/static/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90.glb' })
  model_url!: string;
  @ApiProperty({
    example: 'https://api.example.com/m/3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90',
    description: "The model's share page (the web app's viewer), absolute",
  })
  share_url!: string;
  @ApiProperty({
    example: 41.7,
    description: 'Seconds from the start of processing to the model being served',
  })
  generation_time!: number;
  @ApiProperty({ example: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', format: 'uuid' })
  task_id!: string;
}
