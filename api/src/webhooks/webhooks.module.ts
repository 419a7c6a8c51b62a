import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { AccessModule } from '../access/access.module';
import { LimitsModule } from '../limits/limits.module';
import { TasksModule } from '../tasks/tasks.module';
import {
  CallbackDeliveryProcessor,
  OwnerDeliveryProcessor,
  WebhookAttempts,
} from './webhook-delivery.processor';
import { WebhookEventsListener } from './webhook-events.listener';
import { WEBHOOK_OWNER_QUEUE, WEBHOOK_QUEUE, WEBHOOK_QUEUE_SETTINGS } from './webhook-queue';
import { webhookSenderProvider } from './webhook-sender.provider';
import { WebhookStore } from './webhook-store';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Signed webhooks (docs/design.md, Operations: webhooks): the Bull queues `webhooks` (callback_urls)
 * and `webhooks-owner` (WEBHOOK_URL), each with workers of its own (every process delivers), the task-event listener, the records in Redis and
 * GET /api/tasks/{id}/webhooks. The intake (generate/) registers each new task's targets through
 * WebhooksService; the task domain itself knows nothing of webhooks.
 */
@Module({
  imports: [
    BullModule.registerQueue(
      { name: WEBHOOK_QUEUE, settings: WEBHOOK_QUEUE_SETTINGS },
      { name: WEBHOOK_OWNER_QUEUE, settings: WEBHOOK_QUEUE_SETTINGS },
    ),
    TasksModule,
    AccessModule,
    LimitsModule,
  ],
  controllers: [WebhooksController],
  providers: [
    WebhookStore,
    WebhooksService,
    WebhookEventsListener,
    WebhookAttempts,
    CallbackDeliveryProcessor,
    OwnerDeliveryProcessor,
    webhookSenderProvider,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}
