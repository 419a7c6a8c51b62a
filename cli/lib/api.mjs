// The Kiln3D HTTP API as the command-line client uses it (docs/design.md, HTTP contract), typed
// by the OpenAPI document's generated types (web/src/app/core/api/generated/openapi.ts).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventSource } from 'eventsource';

/** @typedef {import('../../web/src/app/core/api/generated/openapi.js').components['schemas']} Schemas */
/** @typedef {Schemas['GenerateAcceptedDto']} Accepted */
/** @typedef {Schemas['TaskViewDto']} TaskView */
/** @typedef {Schemas['ErrorBodyDto']} ErrorBody */
/** @typedef {{ quality?: string, seed?: number }} GenerateOptions */

/** The server refused a request for good (a 4xx other than 429): the picture or the request is at fault. */
export class ApiRefusal extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} code the error table's code (`unsupported_image`, …)
   * @param {string} message the contract's message, verbatim
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiRefusal';
    this.status = status;
    this.code = code;
  }
}

/** The server or the task failed (a 5xx, a failed task, a wait that ran out). */
export class ApiFailure extends Error {
  /**
   * @param {string} message for people
   * @param {string} [code] the error table's code, when the server gave one
   */
  constructor(message, code) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
  }
}

/** Statuses that mean "not now": wait as Retry-After says, then ask again. */
const RETRY_LATER = new Set([429, 503]);
/** Media types of the pictures the server takes (judged by content there; named here for the upload). */
const PICTURE_TYPES = /** @type {Record<string, string>} */ ({
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
});

/**
 * Seconds a 429/503/202 asks to wait (Retry-After: delta-seconds or an HTTP date), within 1-300 s.
 * @param {Response} response
 * @param {number} fallbackS used when the header is missing or unreadable
 * @returns {number} seconds
 */
export function retryAfterSeconds(response, fallbackS) {
  const header = response.headers.get('retry-after');
  if (header === null) return fallbackS;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.min(300, Math.max(1, seconds)) : fallbackS;
}

/**
 * @param {Response} response an error answer
 * @returns {Promise<ApiRefusal | ApiFailure>}
 */
async function errorOf(response) {
  const body = /** @type {Partial<ErrorBody>} */ (await response.json().catch(() => ({})));
  const message = body.error ?? `HTTP ${response.status}`;
  return response.status < 500
    ? new ApiRefusal(response.status, body.code ?? 'unknown', message)
    : new ApiFailure(message, body.code);
}

/** One server: its URL and, when access control is on, the API key (KILN3D_API_KEY). */
export class ApiClient {
  /**
   * @param {string} server base URL, e.g. http://127.0.0.1:8000
   * @param {string | undefined} apiKey sent as `Authorization: Bearer <key>`
   * @param {{ maxWaitS: number, onWait?: (seconds: number, why: string) => void }} waits the longest a
   *   request waits in all on 429/503/202 answers, and who hears of each wait
   */
  constructor(server, apiKey, waits) {
    this.server = server.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.waits = waits;
  }

  /**
   * @param {Record<string, string>} [extra]
   * @returns {Record<string, string>}
   */
  headers(extra = {}) {
    return this.apiKey === undefined ? extra : { ...extra, Authorization: `Bearer ${this.apiKey}` };
  }

  /**
   * Sends `request()` again while the answer is 429 or 503 (and, with `pending`, 202), waiting as
   * its Retry-After says, up to maxWaitS in all. Throws ApiFailure when the waits run out.
   * @param {() => Promise<Response>} request
   * @param {string} what for the wait messages
   * @param {boolean} [pending] also wait on 202 (a download being made)
   * @returns {Promise<Response>}
   */
  async patiently(request, what, pending = false) {
    const deadline = Date.now() + this.waits.maxWaitS * 1000;
    for (;;) {
      const response = await request();
      const again = RETRY_LATER.has(response.status) || (pending && response.status === 202);
      if (!again) return response;
      const body = /** @type {Partial<ErrorBody>} */ (await response.json().catch(() => ({})));
      const seconds = retryAfterSeconds(response, 5);
      if (Date.now() + seconds * 1000 > deadline) {
        throw new ApiFailure(
          `${what}: still ${body.error ?? `HTTP ${response.status}`} after ${this.waits.maxWaitS} s`,
          body.code,
        );
      }
      this.waits.onWait?.(
        seconds,
        body.error ?? (response.status === 202 ? 'being made' : `HTTP ${response.status}`),
      );
      await sleep(seconds * 1000);
    }
  }

  /**
   * POST /api/generate with the picture file; waits while the queue is full or the client is over
   * its rate. Throws ApiRefusal (the picture or an option refused) or ApiFailure.
   * @param {string} picturePath
   * @param {GenerateOptions} options
   * @returns {Promise<Accepted>}
   */
  async submit(picturePath, options) {
    const bytes = await readFile(picturePath);
    const type =
      PICTURE_TYPES[picturePath.slice(picturePath.lastIndexOf('.')).toLowerCase()] ??
      'application/octet-stream';
    const response = await this.patiently(() => {
      const form = new FormData();
      form.append('image', new Blob([bytes], { type }), basename(picturePath));
      if (options.quality !== undefined) form.append('quality', options.quality);
      if (options.seed !== undefined) form.append('seed', String(options.seed));
      return fetch(`${this.server}/api/generate`, { method: 'POST', body: form, headers: this.headers() });
    }, basename(picturePath));
    if (response.status !== 202 && response.status !== 200) throw await errorOf(response);
    return /** @type {Accepted} */ (await response.json());
  }

  /**
   * GET /api/tasks/{id}.
   * @param {string} taskId
   * @returns {Promise<TaskView>}
   */
  async task(taskId) {
    const response = await this.patiently(
      () => fetch(`${this.server}/api/tasks/${encodeURIComponent(taskId)}`, { headers: this.headers() }),
      taskId,
    );
    if (!response.ok) throw await errorOf(response);
    return /** @type {TaskView} */ (await response.json());
  }

  /**
   * DELETE /api/tasks/{id} with the task's token.
   * @param {string} taskId
   * @param {string} token the task_token of the 202 that made it
   * @returns {Promise<TaskView>} the failed (cancelled) snapshot
   */
  async cancel(taskId, token) {
    const response = await fetch(`${this.server}/api/tasks/${encodeURIComponent(taskId)}`, {
      method: 'DELETE',
      headers: this.headers({ 'X-Task-Token': token }),
    });
    if (!response.ok) throw await errorOf(response);
    return /** @type {TaskView} */ (await response.json());
  }

  /**
   * Follows the task's event stream (GET /api/status/{id}: EventSource, which reconnects with
   * Last-Event-ID) until it is completed or failed; falls back to polling GET /api/tasks/{id}
   * every 2 s when the stream cannot be held (a proxy that buffers it).
   * @param {string} taskId
   * @param {(snapshot: TaskView) => void} onSnapshot every state seen
   * @returns {Promise<TaskView>} the final snapshot
   */
  follow(taskId, onSnapshot) {
    return new Promise((resolve, reject) => {
      let failures = 0;
      let done = false;
      const source = new EventSource(`${this.server}/api/status/${encodeURIComponent(taskId)}`, {
        fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...this.headers() } }),
      });
      /** @param {TaskView} snapshot */
      const seen = (snapshot) => {
        onSnapshot(snapshot);
        if (snapshot.status === 'completed' || snapshot.status === 'failed') {
          done = true;
          source.close();
          resolve(snapshot);
        }
      };
      for (const status of ['queued', 'processing', 'completed', 'failed']) {
        source.addEventListener(status, (event) => {
          failures = 0;
          seen(/** @type {TaskView} */ (JSON.parse(event.data)));
        });
      }
      source.addEventListener('error', () => {
        if (done || ++failures < 3) return;
        source.close();
        this.poll(taskId, seen).catch(reject);
      });
    });
  }

  /**
   * @param {string} taskId
   * @param {(snapshot: TaskView) => void} seen
   */
  async poll(taskId, seen) {
    for (;;) {
      const snapshot = await this.task(taskId);
      seen(snapshot);
      if (snapshot.status === 'completed' || snapshot.status === 'failed') return;
      await sleep(2000);
    }
  }

  /**
   * GET a download URL (a task's `formats[].url`, with size_mm added for stl and 3mf), waiting
   * while the file is being made (202). Throws ApiRefusal / ApiFailure.
   * @param {string} url absolute
   * @param {string} what for the messages
   * @returns {Promise<{ bytes: Buffer, watertight: string | null, fileName: string | undefined }>}
   */
  async download(url, what) {
    const response = await this.patiently(() => fetch(url, { headers: this.headers() }), what, true);
    if (!response.ok) throw await errorOf(response);
    const disposition = response.headers.get('content-disposition') ?? '';
    return {
      bytes: Buffer.from(await response.arrayBuffer()),
      watertight: response.headers.get('x-mesh-watertight'),
      // RFC 6266: a token (Express's choice for these names) or a quoted string.
      fileName: /filename="?([^";]+)"?/.exec(disposition)?.[1],
    };
  }
}
