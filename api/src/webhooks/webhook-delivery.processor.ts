import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectQueue, Process, Processor } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { closeQueueIfRedisAway } from '../redis/bull-shutdown';
import { Clock } from '../common/clock';
import {
  DELIVER_JOB,
  type DeliveryJob,
  WEBHOOK_OWNER_QUEUE,
  WEBHOOK_QUEUE,
  backoffMs,
} from './webhook-queue';
import { WEBHOOK_SENDER, type WebhookSender } from './webhook-sender.provider';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type DeliveryAttemptRecord, WebhookStore } from './webhook-store';

/** Callback deliveries one process sends at once (each mostly waits on a receiver). */
const CALLBACK_CONCURRENCY = 8;
/** Deliveries to the owner's WEBHOOK_URL one process sends at once, beside the callbacks'. */
const OWNER_CONCURRENCY = 2;

/** A failed attempt Bull is to retry (after its backoff). */
class RetryLater extends Error {}

/**
 * One delivery attempt per run (WebhookSender), recorded in the task's delivery log
 * (WebhookStore) whatever its outcome, for both queues' workers below. A failed attempt is retried
 * by Bull with exponential backoff while another attempt is left (deliveryJobOptions) and would
 * start within WEBHOOK_RETRY_FOR_S of the delivery's first (checked here against the clock too); a
 * refused one (the address policy) never is. Nothing is kept in Bull once a delivery ends.
 */
@Injectable()
export class WebhookAttempts implements OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOK_SENDER) private readonly sender: WebhookSender | null,
    private readonly store: WebhookStore,
    private readonly clock: Clock,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.sender?.close();
  }

  /**
   * One attempt of `job`'s delivery: sends, records, and throws (RetryLater) only when Bull is to
   * try again; returns the final outcome otherwise ('off' when webhooks were turned off since).
   */
  async deliver(job: Job<DeliveryJob>): Promise<string> {
    const { taskId, target, url, id, type, body } = job.data;
    const webhooks = this.config.webhooks;
    if (this.sender === null || webhooks === undefined) return 'off';
    const attempt = job.attemptsMade + 1;
    const result = await this.sender.send(url, { id, body });
    const maxAttempts = job.opts.attempts ?? 1;
    // The next attempt would start after its backoff: past the bound, this one was the last.
    const nextStartMs = this.clock.now() + backoffMs(attempt) - job.timestamp;
    const last = attempt >= maxAttempts || nextStartMs > webhooks.retryForS * 1000;
    const outcome: DeliveryAttemptRecord['outcome'] =
      result.outcome === 'failed' ? (last ? 'failed' : 'retrying') : result.outcome;
    const record: DeliveryAttemptRecord = {
      id,
      type,
      target,
      attempt,
      at: new Date(this.clock.now()).toISOString(),
      outcome,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
      duration_ms: Math.round(result.durationMs),
    };
    await this.store.record(taskId, record).catch((error: unknown) => {
      this.logger.warn(`task=${taskId} webhook attempt not recorded: ${String(error)}`);
    });
    const line = `task=${taskId} webhook ${type} to ${target} attempt ${attempt}: ${outcome}${result.status !== undefined ? ` ${result.status}` : ''}${result.error !== undefined ? ` (${result.error}${result.detail !== undefined ? `: ${result.detail}` : ''})` : ''}`;
    if (outcome === 'delivered') this.logger.log(line);
    else this.logger.warn(line);
    if (outcome === 'retrying') throw new RetryLater(result.error ?? 'failed');
    // The delivery ended: its place among the maker's unfinished deliveries goes back.
    if (job.data.client !== undefined) {
      await this.store.releasePending(job.data.client, String(job.id)).catch(() => undefined);
    }
    return outcome;
  }
}

/** The workers of the callback_url deliveries (WEBHOOK_QUEUE). */
@Processor(WEBHOOK_QUEUE)
export class CallbackDeliveryProcessor implements BeforeApplicationShutdown {
  constructor(
    private readonly attempts: WebhookAttempts,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue,
  ) {}

  /** With Redis away, the queue is closed without waiting for deliveries in flight (closeQueueIfRedisAway). */
  async beforeApplicationShutdown(): Promise<void> {
    await closeQueueIfRedisAway(this.queue);
  }

  /** One attempt (WebhookAttempts.deliver). */
  @Process({ name: DELIVER_JOB, concurrency: CALLBACK_CONCURRENCY })
  async deliver(job: Job<DeliveryJob>): Promise<string> {
    return await this.attempts.deliver(job);
  }
}

/** The workers of the owner's WEBHOOK_URL deliveries (WEBHOOK_OWNER_QUEUE), never behind a callback's. */
@Processor(WEBHOOK_OWNER_QUEUE)
export class OwnerDeliveryProcessor implements BeforeApplicationShutdown {
  constructor(
    private readonly attempts: WebhookAttempts,
    @InjectQueue(WEBHOOK_OWNER_QUEUE) private readonly queue: Queue,
  ) {}

  /** With Redis away, the queue is closed without waiting for deliveries in flight (closeQueueIfRedisAway). */
  async beforeApplicationShutdown(): Promise<void> {
    await closeQueueIfRedisAway(this.queue);
  }

  /** One attempt (WebhookAttempts.deliver). */
  @Process({ name: DELIVER_JOB, concurrency: OWNER_CONCURRENCY })
  async deliver(job: Job<DeliveryJob>): Promise<string> {
    return await this.attempts.deliver(job);
  }
}
