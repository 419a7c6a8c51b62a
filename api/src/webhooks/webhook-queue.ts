import type { AdvancedSettings, JobOptions } from 'bull';
import type { WebhookEventType } from './webhook-payload';
import type { WebhookTarget } from './webhook-store';

/** The Bull queue of deliveries to requests' callback_urls: one job per (task, status change). */
export const WEBHOOK_QUEUE = 'webhooks';
/**
 * The Bull queue of deliveries to the owner's WEBHOOK_URL, with workers of its own: strangers'
 * slow or failing callback receivers (each attempt may hold a worker WEBHOOK_TIMEOUT_S) once held
 * every worker of one shared queue, and the owner's deliveries waited behind their retries (a
 * trial: 200 s late, then none for minutes).
 */
export const WEBHOOK_OWNER_QUEUE = 'webhooks-owner';
export const DELIVER_JOB = 'deliver';

/** What a delivery job carries: everything an attempt sends, fixed when the change happened. */
export interface DeliveryJob {
  taskId: string;
  target: WebhookTarget;
  url: string;
  /** The message id (`webhook-id`): `msg_` + a random UUID, the same on every attempt. */
  id: string;
  type: WebhookEventType;
  /** The serialised payload (webhook-payload.ts webhookBody): the signed bytes. */
  body: string;
  /**
   * callback target only: the maker's client key, whose pending place the delivery holds until it
   * ends, and under which its attempts in flight are counted (WEBHOOK_IN_FLIGHT_PER_CLIENT).
   */
  client?: string;
  /**
   * The most attempts the delivery may make (attemptsWithin). Bull's own `attempts` counts runs,
   * and a run held back for its client's turn (`heldBack`) is no attempt. Absent in a job queued
   * before either existed: then Bull's `attempts`, and the job is never held back.
   */
  attempts?: number;
  /** Runs of this job that were held back, sending nothing (Bull counted each in attemptsMade). */
  heldBack?: number;
}

/** The first retry waits this long; each next one about twice as long (Bull's exponential backoff). */
export const RETRY_BASE_MS = 1000;

/**
 * Bull's exponential backoff before attempt `failed + 1`, after `failed` failed attempts
 * (bull/lib/backoffs.js: (2^failed - 1) x delay).
 */
export function backoffMs(failed: number): number {
  return (2 ** failed - 1) * RETRY_BASE_MS;
}

/**
 * How many attempts fit WEBHOOK_RETRY_FOR_S: the most n such that the backoffs before attempts 2..n
 * plus n - 1 attempts that each ran out their timeout end within `retryForMs` of the first attempt's
 * start, so the last attempt starts within the bound (the processor checks it again against the
 * clock: a busy queue may start a retry late). At least 1; at most 30.
 */
export function attemptsWithin(retryForMs: number, timeoutMs: number): number {
  let attempts = 1;
  let start = 0;
  while (attempts < 30) {
    const next = start + timeoutMs + backoffMs(attempts);
    if (next > retryForMs) break;
    start = next;
    attempts++;
  }
  return attempts;
}

/** A run of a delivery job that Bull is to run again after `delayMs` (WEBHOOK_BACKOFF reads it). */
export class RunAgain extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    // Bull keeps each failed run's stack in the job's hash: a held-back run is no failure.
    this.stack = undefined;
  }
}

/**
 * The delivery jobs' backoff strategy (Bull's custom `backoffStrategies`, which get the error the
 * run threw): the delay a RunAgain names (the exponential backoff after a failed attempt, counted
 * in real attempts, or a held-back run's short wait); RETRY_BASE_MS after anything else.
 */
export const WEBHOOK_BACKOFF = 'webhook';

/** Both delivery queues' settings: the WEBHOOK_BACKOFF strategy. */
export const WEBHOOK_QUEUE_SETTINGS: AdvancedSettings = {
  backoffStrategies: {
    [WEBHOOK_BACKOFF]: (_attemptsMade: number, error: Error): number =>
      error instanceof RunAgain ? error.delayMs : RETRY_BASE_MS,
  },
};

/** A held-back run (its client's attempts in flight were at their limit) waits about this long, ±50 %. */
export const HOLD_BACK_MS = 1000;

/**
 * A delivery job's options: its id names the task, the change (event id) and the target, so the
 * same change is queued once whichever process claims it; run again after each failed attempt
 * (exponential backoff, backoffMs) or held-back run (about HOLD_BACK_MS) by the WEBHOOK_BACKOFF
 * strategy. `attempts` (attemptsWithin) bounds the attempts, which the processor counts
 * (DeliveryJob.attempts); Bull's own bound on runs is only a backstop: that many attempts plus a
 * held-back run every HOLD_BACK_MS / 2 for the whole of `retryForMs`. Removed from Bull when done
 * either way (the outcome is in the task's delivery log, webhook-store.ts), so the queue holds
 * nothing for finished deliveries.
 */
export function deliveryJobOptions(jobId: string, attempts: number, retryForMs: number): JobOptions {
  return {
    jobId,
    attempts: attempts + Math.ceil(retryForMs / (HOLD_BACK_MS / 2)) + 1,
    backoff: { type: WEBHOOK_BACKOFF },
    stackTraceLimit: 1,
    removeOnComplete: true,
    removeOnFail: true,
  };
}
