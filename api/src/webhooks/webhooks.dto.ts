import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DeliveryAttemptRecord } from './webhook-store';

/** One attempt of one delivery to the task's callback_url. */
export class WebhookAttemptDto implements Omit<DeliveryAttemptRecord, 'target'> {
  @ApiProperty({
    example: 'msg_5f1c0c7e-2b8a-4d55-9d0e-1c4a1e8f2b33',
    description: 'The message id (webhook-id header): the same on every attempt of one delivery',
  })
  id!: string;
  @ApiProperty({ enum: ['task.queued', 'task.processing', 'task.completed', 'task.failed'] })
  type!: DeliveryAttemptRecord['type'];
  @ApiProperty({
    example: 1,
    description: 'Which attempt of the delivery (1, 2, ...; 0 for one dropped unsent)',
  })
  attempt!: number;
  @ApiProperty({ example: '2026-12-05T20:14:03.120Z', description: 'When the attempt ended' })
  at!: string;
  @ApiProperty({
    enum: ['delivered', 'retrying', 'failed', 'refused', 'dropped'],
    description:
      'delivered: a 2xx answer; retrying: failed, another attempt is scheduled; failed: failed, no attempt is left ' +
      'within WEBHOOK_RETRY_FOR_S; refused: the address is not public (loopback, private, link-local, ...), never retried; ' +
      "dropped: not sent (attempt 0), as the maker's client already had WEBHOOK_PENDING_PER_CLIENT deliveries unfinished, " +
      'or its other attempts in flight (WEBHOOK_IN_FLIGHT_PER_CLIENT) held this one back until WEBHOOK_RETRY_FOR_S ran out; the delivery ends',
  })
  outcome!: DeliveryAttemptRecord['outcome'];
  @ApiPropertyOptional({ example: 200, description: "The receiver's HTTP status, when it answered" })
  status?: number;
  @ApiPropertyOptional({ example: 'HTTP 500', description: 'What went wrong' })
  error?: string;
  @ApiProperty({ example: 84, description: 'Milliseconds the attempt took' })
  duration_ms!: number;
}

/** GET /api/tasks/{id}/webhooks: the deliveries to the task's callback_url so far. */
export class WebhookDeliveriesDto {
  @ApiProperty({ format: 'uuid' })
  task_id!: string;
  @ApiProperty({ type: [WebhookAttemptDto], description: 'Oldest first; at most 100 attempts are kept' })
  attempts!: WebhookAttemptDto[];
}
