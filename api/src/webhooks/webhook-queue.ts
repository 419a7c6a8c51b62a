import type { JobOptions } from 'bull';
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
  /** callback target only: the maker's client key, whose pending place the delivery holds until it ends. */
  client?: string;
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

/**
 * A delivery job's options: its id names the task, the change (event id) and the target, so the
 * same change is queued once whichever process claims it; retried with exponential backoff up to
 * attemptsWithin(); removed from Bull when done either way (the outcome is in the task's delivery
 * log, webhook-store.ts), so the queue holds nothing for finished deliveries.
 */
export function deliveryJobOptions(jobId: string, attempts: number): JobOptions {
  return {
    jobId,
    attempts,
    backoff: { type: 'exponential', delay: RETRY_BASE_MS },
    removeOnComplete: true,
    removeOnFail: true,
  };
}
