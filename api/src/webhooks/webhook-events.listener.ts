import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { RedisService } from '../redis/redis.service';
import { parseTaskEvent } from '../tasks/events/task-event';
import { WebhooksService } from './webhooks.service';

/**
 * Feeds WebhooksService.observe with every task event (RedisKeys.taskEventsChannel), which every
 * api process hears: the claim in Redis makes each status change one delivery, whichever process
 * sees it first. Listens only while webhooks are on (WEBHOOK_SECRET).
 */
@Injectable()
export class WebhookEventsListener implements OnModuleInit, OnModuleDestroy {
  private unlisten: (() => void) | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly webhooks: WebhooksService,
  ) {}

  onModuleInit(): void {
    if (this.config.webhooks === undefined) return;
    this.unlisten = this.redis.listen(RedisKeys.taskEventsChannel, (message) => {
      const event = parseTaskEvent(message);
      // TaskEventsService logs unreadable events; observe never throws.
      if (event) void this.webhooks.observe(event.taskId, event.seq, event.record);
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }
}
