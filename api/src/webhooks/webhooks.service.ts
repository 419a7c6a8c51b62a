import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type TaskRecord, toTaskView } from '../tasks/state/task-snapshot';
import { TaskStore } from '../tasks/state/task-store.service';
import { isDelivered, webhookBody, webhookEventType } from './webhook-payload';
import {
  DELIVER_JOB,
  type DeliveryJob,
  WEBHOOK_OWNER_QUEUE,
  WEBHOOK_QUEUE,
  attemptsWithin,
  deliveryJobOptions,
} from './webhook-queue';
import { type DeliveryAttemptRecord, WebhookStore, type WebhookTarget } from './webhook-store';
import { errorMessage } from '../common/error-message';

/**
 * Turns task status changes into webhook deliveries (docs/design.md, Operations: webhooks): a
 * task made with webhooks on is registered (register: its targets, the owner's WEBHOOK_URL and its
 * maker's callback_url), and each change of its status that WEBHOOK_EVENTS delivers (observe,
 * from the task events every process hears, and once at registration for the state it was born in)
 * becomes one Bull job per target, claimed once across processes (WebhookStore.claimChange). Off
 * (every call does nothing) without WEBHOOK_SECRET.
 *
 * Bounds: one callback_url per task, which admission and the upload rate already bound; at most
 * one delivery per status change and target (two in `final` mode: the terminal one, per target),
 * each of at most attemptsWithin(WEBHOOK_RETRY_FOR_S) attempts; and at most
 * WEBHOOK_PENDING_PER_CLIENT unfinished callback deliveries per client, so instant repeats (a task
 * completed at birth per upload) aimed at a silent receiver cannot pile up a day of retries; of
 * those, at most WEBHOOK_IN_FLIGHT_PER_CLIENT attempts in flight at once (the processor).
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: WebhookStore,
    private readonly tasks: TaskStore,
    private readonly clock: Clock,
    @InjectQueue(WEBHOOK_QUEUE) private readonly callbackQueue: Queue<DeliveryJob>,
    @InjectQueue(WEBHOOK_OWNER_QUEUE) private readonly ownerQueue: Queue<DeliveryJob>,
  ) {}

  /**
   * Registers the webhooks of task `taskId`, just made by a request whose URLs are absolute against
   * `baseUrl` (PUBLIC_BASE_URL wins when set), with its maker's `callbackUrl` (parseCallbackUrl)
   * and client key (`client`: common/client-address limitKey, for WEBHOOK_PENDING_PER_CLIENT),
   * then delivers the state it is in now (a task is born queued, completed or following a job
   * without a task event, and may have moved on already). Nothing when webhooks are off or no
   * target exists.
   */
  async register(
    taskId: string,
    baseUrl: string,
    callbackUrl: string | undefined,
    client: string,
  ): Promise<void> {
    const webhooks = this.config.webhooks;
    if (webhooks === undefined || (webhooks.ownerUrl === undefined && callbackUrl === undefined)) return;
    await this.store.register(taskId, { baseUrl: this.config.publicBaseUrl ?? baseUrl, callbackUrl, client });
    const state = await this.tasks.get(taskId);
    if (state) await this.observe(taskId, state.seq, state.record);
  }

  /**
   * One task event (its id `seq` and snapshot `record`): when the task has webhooks, its status is
   * one WEBHOOK_EVENTS delivers and this call is the first to see the change, queues one delivery
   * per target with the snapshot as GET /api/tasks/{id} answers it. Never throws (a failure is logged).
   */
  async observe(taskId: string, seq: number, record: TaskRecord): Promise<void> {
    const webhooks = this.config.webhooks;
    if (webhooks === undefined || !isDelivered(record.status, webhooks.events)) return;
    try {
      const targets = await this.store.claimChange(taskId, seq, record.status);
      if (!targets) return;
      const body = webhookBody(toTaskView(record, targets.baseUrl), new Date(this.clock.now()));
      const attempts = attemptsWithin(webhooks.retryForS * 1000, webhooks.timeoutMs);
      const sends: [WebhookTarget, string | undefined][] = [
        ['owner', webhooks.ownerUrl],
        ['callback', targets.callbackUrl],
      ];
      for (const [target, url] of sends) {
        if (url === undefined) continue;
        const jobId = `${taskId}.${seq}.${target}`;
        const job: DeliveryJob = {
          taskId,
          target,
          url,
          id: `msg_${randomUUID()}`,
          type: webhookEventType(record.status),
          body,
          ...(target === 'callback' ? { client: targets.client } : {}),
          attempts,
        };
        if (target === 'callback' && !(await this.reservePlace(job, jobId))) continue;
        const queue = target === 'owner' ? this.ownerQueue : this.callbackQueue;
        await queue.add(DELIVER_JOB, job, deliveryJobOptions(jobId, attempts, webhooks.retryForS * 1000));
      }
    } catch (error) {
      this.logger.warn(`task=${taskId} webhook of ${record.status} not queued: ${errorMessage(error)}`);
    }
  }

  /**
   * A place among the maker's unfinished callback deliveries (WEBHOOK_PENDING_PER_CLIENT), held
   * until the delivery ends (the processor gives it back) or surely has (its whole retry window
   * and a minute); false, with the delivery recorded `dropped`, when the client holds them all.
   */
  private async reservePlace(job: DeliveryJob, jobId: string): Promise<boolean> {
    const webhooks = this.config.webhooks;
    if (webhooks === undefined || job.client === undefined) return true;
    const now = this.clock.now();
    const endsBy = now + webhooks.retryForS * 1000 + 2 * webhooks.timeoutMs + 60_000;
    if (await this.store.reservePending(job.client, jobId, now, endsBy, webhooks.pendingPerClient))
      return true;
    await this.store.record(job.taskId, {
      id: job.id,
      type: job.type,
      target: job.target,
      attempt: 0,
      at: new Date(now).toISOString(),
      outcome: 'dropped',
      error: `not sent: ${webhooks.pendingPerClient} deliveries of this client are unfinished (WEBHOOK_PENDING_PER_CLIENT)`,
      duration_ms: 0,
    });
    this.logger.warn(
      `task=${job.taskId} webhook ${job.type} to callback dropped: its client's deliveries are all pending`,
    );
    return false;
  }

  /** The attempts of the deliveries to task `taskId`'s callback_url, oldest first (the owner's are not shown). */
  async callbackAttempts(taskId: string): Promise<DeliveryAttemptRecord[]> {
    return (await this.store.attempts(taskId)).filter((attempt) => attempt.target === 'callback');
  }
}
