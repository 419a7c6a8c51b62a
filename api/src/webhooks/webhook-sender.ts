import { Agent, type Dispatcher, request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { OutboundUrlRefusal, checkOutboundUrl } from '../outbound/outbound-url-policy';
import { type AddressPolicy, ForbiddenAddressError, type Resolver, guardedLookup } from './guarded-lookup';

/** Redirects followed per attempt, each judged like the first URL. */
export const MAX_REDIRECTS = 3;
/** Bytes of a receiver's answer read (then the connection is dropped): the answer is never used. */
const MAX_ANSWER_BYTES = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/**
 * How far past the attempt's limit undici's own connect, headers and body timeouts are set. They
 * run on undici's "fast timers" (lib/util/timers.js: a shared 499 ms tick, TIMEOUT_HEADERS =
 * 2 | USE_FAST_TIMER in lib/dispatcher/client-h1.js), which fire anywhere from about 499 ms early
 * to a tick late: an 800 ms headers timeout on a reused keep-alive socket cut attempts at 635-695
 * ms. The per-attempt AbortSignal (a native timer) is the exact bound; undici's are a backstop.
 */
const UNDICI_TIMER_SLACK_MS = 1000;

/** One attempt's outcome, as recorded (webhook-store.ts) and shown to the task's maker. */
export interface AttemptResult {
  /**
   * delivered: a 2xx answer; failed: anything else (a non-2xx status, a network error, the
   * timeout), worth another attempt; refused: the policy forbade the address or a redirect's URL,
   * never tried again.
   */
  outcome: 'delivered' | 'failed' | 'refused';
  /** The final answer's HTTP status, when one came. */
  status?: number;
  /** What went wrong, in a few words (no body of the receiver's is ever quoted): shown to the task's maker. */
  error?: string;
  /** More for the server's log only: the range and address a name resolved to when refused. */
  detail?: string;
  /** Milliseconds the attempt took, redirects included. */
  durationMs: number;
}

/** One signed delivery: the message id (`webhook-id`, the same on every attempt) and its body. */
export interface SignedMessage {
  id: string;
  body: string;
}

export interface WebhookSenderOptions {
  /** WEBHOOK_SECRET (whsec_...). */
  secret: string;
  /** WEBHOOK_ALLOW_PRIVATE: skip the address checks (and allow http). */
  allowPrivate: boolean;
  /** The whole attempt's limit, redirects included (ms). */
  timeoutMs: number;
  /** The resolver behind the guarded lookup (tests inject one); dns.lookup by default. */
  resolver?: Resolver;
  /** The policy the guarded lookup applies to resolved addresses (tests only); forbiddenAddressReason by default. */
  addressPolicy?: AddressPolicy;
  /** Extra certificate authorities trusted for https (tests only; the api process uses NODE_EXTRA_CA_CERTS). */
  ca?: string;
  /** The clock that stamps `webhook-timestamp` (ms since the epoch). */
  now?: () => number;
}

/**
 * Sends one attempt of a webhook: a POST of the body, signed per the Standard Webhooks
 * specification by its maintained library (`standardwebhooks`: headers `webhook-id`,
 * `webhook-timestamp` in seconds, `webhook-signature` `v1,<base64 HMAC-SHA256>`; a fresh timestamp
 * per attempt, so a receiver's 5-minute tolerance holds for retries). Connections go through an
 * undici Agent whose lookup resolves, checks and pins the address (guarded-lookup.ts) unless
 * private addresses are allowed; redirects are not followed by undici but here, at most
 * MAX_REDIRECTS, each URL judged again (checkOutboundUrl) and each connection looked up again, with
 * the same POST, body and signature. One attempt is bounded by `timeoutMs` in all, by one
 * AbortSignal (see UNDICI_TIMER_SLACK_MS for why not by undici's timeouts).
 */
export class WebhookSender {
  private readonly signer: Webhook;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;

  constructor(private readonly options: WebhookSenderOptions) {
    this.signer = new Webhook(options.secret);
    this.now = options.now ?? Date.now;
    this.dispatcher = new Agent({
      connect: {
        timeout: options.timeoutMs + UNDICI_TIMER_SLACK_MS,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup(options.resolver, options.addressPolicy) }),
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      },
      headersTimeout: options.timeoutMs + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: options.timeoutMs + UNDICI_TIMER_SLACK_MS,
    });
  }

  /** The three Standard Webhooks headers for `message`, signed now. */
  signedHeaders(message: SignedMessage): Record<string, string> {
    const at = new Date(Math.floor(this.now() / 1000) * 1000);
    return {
      'webhook-id': message.id,
      'webhook-timestamp': String(at.getTime() / 1000),
      'webhook-signature': this.signer.sign(message.id, at, message.body),
    };
  }

  /** One attempt of `message` to `target` (never throws: every outcome is an AttemptResult). */
  async send(target: string, message: SignedMessage): Promise<AttemptResult> {
    const started = this.now();
    const elapsed = (): number => Math.max(0, this.now() - started);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Kiln3D-Webhooks/1',
      ...this.signedHeaders(message),
    };
    let url = target;
    try {
      for (let hop = 0; ; hop++) {
        checkOutboundUrl(url, this.options.allowPrivate);
        const answer = await request(url, {
          method: 'POST',
          headers,
          body: message.body,
          dispatcher: this.dispatcher,
          signal,
        });
        await answer.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
        const location = answer.headers.location;
        if (REDIRECT_STATUSES.has(answer.statusCode) && typeof location === 'string') {
          if (hop >= MAX_REDIRECTS) {
            return {
              outcome: 'failed',
              status: answer.statusCode,
              error: 'too many redirects',
              durationMs: elapsed(),
            };
          }
          url = new URL(location, url).href;
          continue;
        }
        const ok = answer.statusCode >= 200 && answer.statusCode < 300;
        return {
          outcome: ok ? 'delivered' : 'failed',
          status: answer.statusCode,
          ...(ok ? {} : { error: `HTTP ${answer.statusCode}` }),
          durationMs: elapsed(),
        };
      }
    } catch (error) {
      const refusal = refusalOf(error, url);
      if (refusal !== undefined) return { outcome: 'refused', ...refusal, durationMs: elapsed() };
      const timedOut = signal.aborted || isTimeout(error);
      return {
        outcome: 'failed',
        error: timedOut ? `no answer within ${this.options.timeoutMs} ms` : describe(error),
        durationMs: elapsed(),
      };
    }
  }

  /** Closes the Agent's connections (the module's shutdown). */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * The policy's refusal in `error` (a URL rule, or a forbidden address from the lookup) as the
 * words shown and, for a resolved name, the detail logged; undefined for any other error.
 */
function refusalOf(error: unknown, url: string): { error: string; detail?: string } | undefined {
  if (error instanceof OutboundUrlRefusal)
    return { error: `refused ${shortUrl(url)}: must be ${error.rule}` };
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof ForbiddenAddressError) return { error: cause.message, detail: cause.reason };
    cause = cause.cause;
  }
  return undefined;
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = (error as { name?: unknown } | undefined)?.name;
  return (
    name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  );
}

/** An error as a few words: its code and message (a network error's cause included). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 200);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${cause}`.slice(0, 200);
}

/** A URL for a message: origin and path only (no query, which may carry a receiver's token). */
function shortUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}`.slice(0, 200);
  } catch {
    return raw.slice(0, 80);
  }
}
