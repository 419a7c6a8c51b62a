/**
 * How long each kind of request may take before the page gives up on it. A request that never
 * answers (a phone between cells, a tunnel that swallowed the connection) would otherwise hold
 * the page, and the next poll behind it, for ever. A timed-out request ends as a network error
 * (status 0), which the page already explains (error.network).
 */

/** GET of a small JSON answer (a task's snapshot, /api/config, /api/qualities) and DELETE. */
export const JSON_REQUEST_TIMEOUT_MS = 15_000;

/**
 * A download's longest silence (a model, its LOD, a voxel preview): no answer, or no byte of its
 * body, for this long ends it (stall-bounded-fetch.ts). Bytes still flowing never time out.
 */
export const DOWNLOAD_STALL_TIMEOUT_MS = 20_000;

/** An upload's fixed share: the server still checks the picture and queues it after the last byte. */
const UPLOAD_BASE_TIMEOUT_MS = 30_000;

/**
 * The slowest upload rate the page waits for: 32 KiB/s (a weak mobile uplink). A 10 MB picture
 * thus gets 30 s + 320 s.
 */
const SLOWEST_UPLOAD_BYTES_PER_S = 32 * 1024;

/** The time limit of an upload of `bytes`: a fixed part plus the bytes at the slowest rate. */
export function uploadTimeoutMs(bytes: number): number {
  const size = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  return UPLOAD_BASE_TIMEOUT_MS + Math.ceil((size / SLOWEST_UPLOAD_BYTES_PER_S) * 1000);
}

/** An AbortSignal that aborts after `ms` (AbortSignal.timeout where the browser has it). */
export function timeoutSignal(ms: number): AbortSignal {
  if (typeof AbortSignal.timeout === 'function') return AbortSignal.timeout(ms);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}
