import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectQueue, Process, Processor } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { closeQueueIfRedisAway } from '../redis/bull-shutdown';
import { Clock } from '../common/clock';
import {
  DELIVER_JOB,
  type DeliveryJob,
  HOLD_BACK_MS,
  RunAgain,
  WEBHOOK_OWNER_QUEUE,
  WEBHOOK_QUEUE,
  backoffMs,
} from './webhook-queue';
import { WEBHOOK_SENDER, type WebhookSender } from './webhook-sender.provider';
import type { AttemptResult } from './webhook-sender';
import { APP_CONFIG, type AppConfig, type WebhookConfig } from '../config/app-config';
import { type DeliveryAttemptRecord, WebhookStore } from './webhook-store';

/**
 * Callback attempts one process sends at once. Each mostly waits on a receiver's socket (up to
 * WEBHOOK_TIMEOUT_S), and Bull's `concurrency` is cheap: its runs share the queue's three Redis
 * connections (bull/lib/queue.js run/processJobs: one promise loop per run, the idle ones each
 * waiting in turn on the one blocking connection's BRPOPLPUSH), and a run in progress adds a lock
 * renewal every 15 s. With WEBHOOK_IN_FLIGHT_PER_CLIENT (4 by default, 16 per /48 site), 16 slow
 * clients or 4 sites are needed to hold them all (8 let one client hold them: a trial put another
 * client's callback 200 s late).
 */
const CALLBACK_CONCURRENCY = 64;
/** Deliveries to the owner's WEBHOOK_URL one process sends at once, beside the callbacks'. */
const OWNER_CONCURRENCY = 2;
/**
 * How long past WEBHOOK_TIMEOUT_S an attempt's place in flight is leased: an attempt ends by its
 * timeout (one AbortSignal, webhook-sender.ts), then gives its place back; the lease frees it only
 * when the process died (or stalled this long) mid-attempt.
 */
const IN_FLIGHT_LEASE_SLACK_MS = 5000;

/**
 * One delivery attempt per run (WebhookSender), recorded in the task's delivery log
 * (WebhookStore) whatever its outcome, for both queues' workers below. A failed attempt is run
 * again by Bull after its exponential backoff (RunAgain, WEBHOOK_BACKOFF) while another attempt is
 * left (DeliveryJob.attempts) and would start within WEBHOOK_RETRY_FOR_S of the delivery's first
 * (checked here against the clock too); a refused one (the address policy) never is. Nothing is
 * kept in Bull once a delivery ends.
 *
 * A callback attempt first takes one of its client's WEBHOOK_IN_FLIGHT_PER_CLIENT places in
 * flight (WebhookStore.acquireInFlight: across processes, leased, given back when the attempt
 * ends). Without one, the run sends and records nothing: the job goes back to Bull's delayed set
 * for about HOLD_BACK_MS (a RunAgain that Bull counts as a run, not counted here as an attempt:
 * DeliveryJob.heldBack), and its worker takes the next job, so one client's slow receiver holds
 * only its own places, never every worker. A delivery held back until WEBHOOK_RETRY_FOR_S passed
 * ends `dropped`.
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
   * One attempt of `job`'s delivery: sends, records, and throws (RunAgain) only when Bull is to
   * try again, or when the attempt is held back (holdBack); returns the final outcome otherwise
   * ('off' when webhooks were turned off since).
   */
  async deliver(job: Job<DeliveryJob>): Promise<string> {
    const { taskId, target, url, id, type, body, client } = job.data;
    const webhooks = this.config.webhooks;
    if (this.sender === null || webhooks === undefined) return 'off';
    const heldBack = job.data.heldBack ?? 0;
    const attempt = job.attemptsMade - heldBack + 1;
    const maxAttempts = job.data.attempts ?? job.opts.attempts ?? 1;
    const jobId = String(job.id);
    // A job queued before places in flight were counted (no `attempts` of its own) is not held back.
    const bounded = client !== undefined && job.data.attempts !== undefined;
    if (
      bounded &&
      !(await this.store.acquireInFlight(
        client,
        jobId,
        this.clock.now(),
        webhooks.timeoutMs + IN_FLIGHT_LEASE_SLACK_MS,
        webhooks.inFlightPerClient,
      ))
    ) {
      return await this.holdBack(job, heldBack, webhooks);
    }
    let result: AttemptResult;
    try {
      result = await this.sender.send(url, { id, body });
    } finally {
      if (bounded) await this.store.releaseInFlight(client, jobId).catch(() => undefined);
    }
    // The next attempt would start after its backoff: past the bound, this one was the last.
    const nextStartMs = this.clock.now() + backoffMs(attempt) - job.timestamp;
    const last = attempt >= maxAttempts || nextStartMs > webhooks.retryForS * 1000;
    const outcome: DeliveryAttemptRecord['outcome'] =
      result.outcome === 'failed' ? (last ? 'failed' : 'retrying') : result.outcome;
    await this.record(taskId, {
      id,
      type,
      target,
      attempt,
      at: new Date(this.clock.now()).toISOString(),
      outcome,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
      duration_ms: Math.round(result.durationMs),
    });
    const line = `task=${taskId} webhook ${type} to ${target} attempt ${attempt}: ${outcome}${result.status !== undefined ? ` ${result.status}` : ''}${result.error !== undefined ? ` (${result.error}${result.detail !== undefined ? `: ${result.detail}` : ''})` : ''}`;
    if (outcome === 'delivered') this.logger.log(line);
    else this.logger.warn(line);
    if (outcome === 'retrying') throw new RunAgain(backoffMs(attempt), result.error ?? 'failed');
    await this.ended(job);
    return outcome;
  }

  /**
   * A run of `job` (held back `heldBack` times before) whose client has every place in flight:
   * sends and records nothing, and has Bull run it again in about HOLD_BACK_MS (RunAgain, after
   * counting the run in `heldBack`); or, when that would start it past WEBHOOK_RETRY_FOR_S, ends
   * the delivery, recorded `dropped` (attempt 0: none was sent).
   */
  private async holdBack(job: Job<DeliveryJob>, heldBack: number, webhooks: WebhookConfig): Promise<string> {
    const delayMs = Math.round(HOLD_BACK_MS * (0.5 + Math.random()));
    const now = this.clock.now();
    if (now + delayMs - job.timestamp <= webhooks.retryForS * 1000) {
      await job.update({ ...job.data, heldBack: heldBack + 1 });
      throw new RunAgain(delayMs, 'held back: its client has every place in flight');
    }
    const { taskId, id, type, target } = job.data;
    await this.record(taskId, {
      id,
      type,
      target,
      attempt: 0,
      at: new Date(now).toISOString(),
      outcome: 'dropped',
      error: `not sent: ${webhooks.inFlightPerClient} attempts of this client were in flight (WEBHOOK_IN_FLIGHT_PER_CLIENT) until WEBHOOK_RETRY_FOR_S ran out`,
      duration_ms: 0,
    });
    this.logger.warn(
      `task=${taskId} webhook ${type} to ${target} dropped: its client's attempts in flight held it past WEBHOOK_RETRY_FOR_S`,
    );
    await this.ended(job);
    return 'dropped';
  }

  /** Appends one record to the task's delivery log (a failure is logged, not thrown). */
  private async record(taskId: string, record: DeliveryAttemptRecord): Promise<void> {
    await this.store.record(taskId, record).catch((error: unknown) => {
      this.logger.warn(`task=${taskId} webhook attempt not recorded: ${String(error)}`);
    });
  }

  /** The delivery ended: its place among the maker's unfinished deliveries goes back. */
  private async ended(job: Job<DeliveryJob>): Promise<void> {
    if (job.data.client !== undefined) {
      await this.store.releasePending(job.data.client, String(job.id)).catch(() => undefined);
    }
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
