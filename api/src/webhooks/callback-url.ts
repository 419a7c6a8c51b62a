import { ApiError } from '../common/api-error';
import { OutboundUrlRefusal, checkOutboundUrl } from '../outbound/outbound-url-policy';
import type { WebhookConfig } from '../config/app-config';
import { CALLBACK_FIELD } from '../tasks/options/generation-options';

/** The multipart text field of an upload that names the maker's webhook receiver (its one owner: the upload's fields). */
export const CALLBACK_URL_FIELD = CALLBACK_FIELD;

function invalid(rule: string): ApiError {
  return new ApiError('invalid_option', { params: { field: CALLBACK_URL_FIELD, rule } });
}

/**
 * The `callback_url` of a POST /api/generate body (multer's text fields), judged before anything
 * else of the request costs a queue slot: undefined when absent or empty; else the URL as sent,
 * when it passes the outbound URL policy (outbound/outbound-url-policy.ts). Throws ApiError 400
 * `invalid_option` naming the field: `Invalid callback_url: <rule>` (not a URL, not https, a
 * literal non-public address, over 2048 characters, credentials in it, sent twice), and
 * `Invalid callback_url: webhooks are off on this server (no WEBHOOK_SECRET)` while `webhooks` is
 * undefined, so no request is accepted with a callback that would never be called.
 */
export function parseCallbackUrl(body: unknown, webhooks: WebhookConfig | undefined): string | undefined {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const value = fields[CALLBACK_URL_FIELD];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid('send it once');
  const raw = value.trim();
  if (raw === '') return undefined;
  if (webhooks === undefined) throw invalid('webhooks are off on this server (no WEBHOOK_SECRET)');
  try {
    return checkOutboundUrl(raw, webhooks.allowPrivate).href;
  } catch (error) {
    if (error instanceof OutboundUrlRefusal) throw invalid(error.rule);
    throw error;
  }
}
