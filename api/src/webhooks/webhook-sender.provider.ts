import type { FactoryProvider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { WebhookSender } from './webhook-sender';

/** Injection token of this process's WebhookSender, or null while webhooks are off. */
export const WEBHOOK_SENDER = Symbol('WEBHOOK_SENDER');
export type { WebhookSender };

/** One sender (one undici Agent, its connection pool) per process, built from WEBHOOK_*. */
export const webhookSenderProvider: FactoryProvider<WebhookSender | null> = {
  provide: WEBHOOK_SENDER,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) =>
    config.webhooks === undefined
      ? null
      : new WebhookSender({
          secret: config.webhooks.secret,
          allowPrivate: config.webhooks.allowPrivate,
          timeoutMs: config.webhooks.timeoutMs,
        }),
};
