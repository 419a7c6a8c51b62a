/**
 * The messages of a worker's sidecar restart asked through Redis (docs/design.md, HTTP contract:
 * a worker's sidecar). Any api process publishes a request on the chosen worker's own channel
 * (RedisKeys.workerRestartChannel) after writing a claim key (RedisKeys.workerRestartClaim) that
 * lives a little longer than the asker waits; the worker acts only if it deletes that key first,
 * then publishes its answer on the shared replies channel. The asker deletes the key when it
 * stops waiting: whoever deletes it first decides, so a request is acted on at most once and
 * never after the asker gave up (no clock is compared across machines: Redis's TTL is the only one).
 */

/** How long the asking process waits for the worker to take the request (ms). */
export const WORKER_ANSWER_TIMEOUT_MS = 5_000;
/**
 * After the deadline, when the worker did take the request (the asker's DEL found no key), how
 * much longer its answer is waited for: it is sent right after the take (ms).
 */
export const WORKER_ANSWER_GRACE_MS = 2_000;
/** The claim key outlives the asker's deadline by this much, so only the asker's DEL ends it in time (ms). */
export const CLAIM_MARGIN_MS = 5_000;

/** Codes a worker may refuse with: InferenceAdminService's own refusals, or anything else failing. */
export type WorkerRefusalCode = 'sidecar_not_managed' | 'sidecar_stopped' | 'internal_error';
const REFUSALS: readonly WorkerRefusalCode[] = ['sidecar_not_managed', 'sidecar_stopped', 'internal_error'];

/** A restart request, as published on a worker's channel (JSON). */
export interface WorkerRestartRequest {
  /** Random id, also the claim key's suffix and the reply's correlation. */
  request_id: string;
  /** Kill at once (true) or after the running job (false), as POST /api/admin/inference/restart. */
  force: boolean;
  /** Who asked, for the worker's log: the operator and the api process that relayed it. */
  by: string;
}

/** What the worker did (the local restart's 202 body, InferenceRestartAcceptedDto). */
export interface WorkerRestartAccepted {
  force: boolean;
  /** pid of the sidecar being replaced; null when none was running. */
  previous_pid: number | null;
  /** true: it restarts once its running job ends (graceful, busy); false: now. */
  waits_for_job: boolean;
  message: string;
}

/** A worker's answer on the replies channel (JSON): accepted, or refused with an error-table code. */
export type WorkerRestartReply =
  | { request_id: string; ok: true; accepted: WorkerRestartAccepted }
  | { request_id: string; ok: false; code: WorkerRefusalCode };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A request read off a worker's channel, or undefined when it is not one (malformed JSON or
 * fields): a worker acts on nothing it cannot read whole.
 */
export function parseRestartRequest(text: string): WorkerRestartRequest | undefined {
  const value = parseJson(text);
  if (!isObject(value)) return undefined;
  const { request_id: requestId, force, by } = value;
  if (
    typeof requestId !== 'string' ||
    requestId === '' ||
    typeof force !== 'boolean' ||
    typeof by !== 'string'
  )
    return undefined;
  return { request_id: requestId, force, by };
}

/** A reply read off the replies channel, or undefined when it is not one. */
export function parseRestartReply(text: string): WorkerRestartReply | undefined {
  const value = parseJson(text);
  if (!isObject(value) || typeof value['request_id'] !== 'string') return undefined;
  const requestId = value['request_id'];
  if (value['ok'] === false) {
    const code = value['code'];
    return isWorkerRefusalCode(code) ? { request_id: requestId, ok: false, code } : undefined;
  }
  const accepted = value['accepted'];
  if (value['ok'] !== true || !isObject(accepted)) return undefined;
  const { force, previous_pid: previousPid, waits_for_job: waitsForJob, message } = accepted;
  if (
    typeof force !== 'boolean' ||
    !(previousPid === null || (typeof previousPid === 'number' && Number.isInteger(previousPid))) ||
    typeof waitsForJob !== 'boolean' ||
    typeof message !== 'string'
  )
    return undefined;
  return {
    request_id: requestId,
    ok: true,
    accepted: { force, previous_pid: previousPid, waits_for_job: waitsForJob, message },
  };
}

/** Whether a code is one a worker may refuse with (anything else it reports as internal_error). */
export function isWorkerRefusalCode(code: unknown): code is WorkerRefusalCode {
  return REFUSALS.includes(code as WorkerRefusalCode);
}
