import type { TaskStatus, TaskView } from '../tasks/state/task-snapshot';

/** The event types a webhook carries: `task.` + the status the task reached. */
export type WebhookEventType = 'task.queued' | 'task.processing' | 'task.completed' | 'task.failed';

/**
 * A webhook's body (docs/design.md, Operations: webhooks), the Standard Webhooks payload shape
 * (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md, "Payload
 * structure"): `type`, `timestamp` (ISO 8601, when the task reached the status) and `data`, the
 * task snapshot exactly as GET /api/tasks/{id} answers it (absolute URLs).
 */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: TaskView;
}

/** The event type of a task that reached `status`. */
export function webhookEventType(status: TaskStatus): WebhookEventType {
  return `task.${status}`;
}

/**
 * Whether a change to `status` is delivered under WEBHOOK_EVENTS `events`: `final` sends completed
 * and failed only, `all` every status.
 */
export function isDelivered(status: TaskStatus, events: 'final' | 'all'): boolean {
  return events === 'all' || status === 'completed' || status === 'failed';
}

/**
 * The body of the webhook for task snapshot `view` (toTaskView), serialised once: the signature
 * covers these exact bytes, and every attempt of one delivery sends them unchanged. `timestamp` is
 * the snapshot's `updated_at` (the change's own time), else `now`.
 */
export function webhookBody(view: TaskView, now: Date): string {
  const payload: WebhookPayload = {
    type: webhookEventType(view.status),
    timestamp: view.updated_at || now.toISOString(),
    data: view,
  };
  return JSON.stringify(payload);
}
