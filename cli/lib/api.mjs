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
   * @param {number} [status] the HTTP status, when an answer said so
   */
  constructor(message, code, status) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
    this.status = status;
  }
}

/**
 * The server kept answering "not now" (429, 503) and the wait it asks for runs past --max-wait:
 * a request refused for now (exit status 3 like any refusal), with a message that says what the
 * server is doing and how long it asked to wait.
 */
export class ApiBusy extends ApiRefusal {}

/** No answer at all: the connection failed (DNS, refused, reset, TLS) before any HTTP status. */
export class ApiUnreachable extends Error {
  /**
   * @param {string} origin the scheme, host and port tried, e.g. https://3d.example.com
   * @param {string} code the system's error code (ENOTFOUND, ECONNREFUSED, …)
   */
  constructor(origin, code) {
    super(`cannot reach the server at ${origin} (${code})`);
    this.name = 'ApiUnreachable';
    this.origin = origin;
    this.code = code;
  }
}

/**
 * Where to fetch a URL the server handed out (a task's `formats[].url`): its path and query on the
 * server this client talks to (--server), never the host the URL names. Why: the server writes
 * every URL it hands out on its public origin (PUBLIC_BASE_URL, e.g. https://3d.example.com behind
 * a tunnel), which this machine may not reach or even resolve (the CLI may be told a LAN or
 * loopback address), and which may be another party's host: the API key (and any task token) goes
 * to --server's origin only. The same server made the URL, so it serves the same path. When
 * --server has a path of its own (a proxy serving Kiln3D under /kiln), it is put before the URL's
 * path, unless that path already starts with it.
 * @param {string} server --server, e.g. http://127.0.0.1:8000 or https://proxy.lan/kiln
 * @param {string} url absolute (any origin) or a path
 * @returns {string} an absolute URL on --server's origin
 */
export function onServer(server, url) {
  const base = new URL(server);
  const given = new URL(url, base);
  const prefix = base.pathname.replace(/\/+$/, '');
  const path =
    prefix === '' || given.pathname === prefix || given.pathname.startsWith(`${prefix}/`)
      ? given.pathname
      : `${prefix}${given.pathname}`;
  return new URL(`${path}${given.search}`, base.origin).toString();
}

/**
 * The error to throw for a fetch that got no answer: ApiUnreachable naming the origin tried, for
 * fetch's own TypeError("fetch failed") (its cause holds the system's code); anything else as it is.
 * @param {string} url
 * @param {unknown} error
 * @returns {unknown}
 */
function unreachableOr(url, error) {
  if (!(error instanceof TypeError) || !/fetch failed/.test(error.message)) return error;
  const cause =
    /** @type {{ cause?: { code?: unknown, message?: unknown, errors?: Array<{ code?: unknown }> } }} */ (
      error
    ).cause;
  // The system's code (ENOTFOUND, ECONNREFUSED; an AggregateError of each address tried carries
  // its first), else fetch's own reason ("bad port").
  const code = [cause?.code, cause?.errors?.[0]?.code, cause?.message].find((c) => typeof c === 'string');
  return new ApiUnreachable(new URL(url).origin, /** @type {string | undefined} */ (code) ?? 'network error');
}

/**
 * What a "not now" answer says, in words that stand alone in a sentence (the server's own message
 * is a sentence of its own, "Not taking new tasks right now, retry later").
 * @param {number} status
 * @param {string | undefined} code the error table's code
 * @param {string | undefined} message the server's message
 * @returns {string}
 */
function busyState(status, code, message) {
  switch (code) {
    case 'admissions_paused':
      return 'the server is not taking new tasks';
    case 'server_busy':
      return "the server's queue is full";
    case 'too_many_requests':
      return "this client is over the server's request rate";
    case 'too_many_active_tasks':
      return 'this client already has as many unfinished tasks as the server allows';
    case 'formats_busy':
      return 'the server is busy making other files';
    default:
      return `the server is busy: "${message ?? `HTTP ${status}`}"`;
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
    : new ApiFailure(message, body.code, response.status);
}

/**
 * What a proxy in front of the server answers while the server itself is down (a restart behind
 * a Cloudflare Tunnel or nginx): 502, 504, and Cloudflare's 520-524 and 530. The task is kept in
 * the server's Redis meanwhile. (503 is waited out by patiently as it is.)
 */
const GATEWAY_DOWN = new Set([502, 504, 520, 521, 522, 523, 524, 530]);

/**
 * Whether an error means no answer from the server itself: no connection, or a proxy's gateway error.
 * @param {unknown} error
 * @returns {error is ApiUnreachable | ApiFailure}
 */
function serverAway(error) {
  return (
    error instanceof ApiUnreachable ||
    (error instanceof ApiFailure && error.code === undefined && GATEWAY_DOWN.has(error.status ?? 0))
  );
}

/** Seconds between tries while a followed task's server gives no answer (restarting). */
const UNREACHABLE_RETRY_S = 5;

/** One server: its URL and, when access control is on, the API key (KILN3D_API_KEY). */
export class ApiClient {
  /**
   * @param {string} server base URL, e.g. http://127.0.0.1:8000
   * @param {string | undefined} apiKey sent as `Authorization: Bearer <key>`
   * @param {{ maxWaitS: number, onWait?: (seconds: number, why: string, subject: string | undefined) => void }} waits
   *   the longest a request waits in all on 429/503/202 answers, and who hears of each wait (with
   *   what is waited for: a picture's or a file's name, when the request is for one)
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
   * fetch() on --server with the API key; a request that got no answer throws ApiUnreachable,
   * which names the origin tried.
   * @param {string} url absolute, on --server
   * @param {RequestInit & { headers?: Record<string, string> }} [init]
   * @returns {Promise<Response>}
   */
  async send(url, init = {}) {
    try {
      return await fetch(url, { ...init, headers: this.headers(init.headers) });
    } catch (error) {
      throw unreachableOr(url, error);
    }
  }

  /**
   * Sends `request()` again while the answer is 429 or 503 (and, with `pending`, 202), waiting as
   * its Retry-After says, up to maxWaitS in all. A wait that would end past maxWaitS is not begun:
   * it throws ApiBusy (429/503: refused for now) or ApiFailure (202: the file still not made).
   * @param {() => Promise<Response>} request
   * @param {boolean} [pending] also wait on 202 (a download being made)
   * @param {string} [subject] what the request is for (a picture's name), told to onWait
   * @returns {Promise<Response>}
   */
  async patiently(request, pending = false, subject = undefined) {
    const maxWaitS = this.waits.maxWaitS;
    const deadline = Date.now() + maxWaitS * 1000;
    let waitedS = 0;
    for (;;) {
      const response = await request();
      const again = RETRY_LATER.has(response.status) || (pending && response.status === 202);
      if (!again) return response;
      const body = /** @type {Partial<ErrorBody>} */ (await response.json().catch(() => ({})));
      const seconds = retryAfterSeconds(response, 5);
      if (Date.now() + seconds * 1000 > deadline) {
        const state =
          response.status === 202
            ? 'the file is still being made'
            : busyState(response.status, body.code, body.error);
        const asks = `it asks to retry in ${Math.round(seconds)} s`;
        const message =
          waitedS > 0
            ? `${state} after waiting ${Math.round(waitedS)} s (${asks} more, past --max-wait ${maxWaitS} s)`
            : `${state} (${asks}, over --max-wait ${maxWaitS} s)`;
        if (response.status === 202) throw new ApiFailure(message);
        throw new ApiBusy(response.status, body.code ?? 'unknown', message);
      }
      this.waits.onWait?.(
        seconds,
        body.error ?? (response.status === 202 ? 'being made' : `HTTP ${response.status}`),
        subject,
      );
      await sleep(seconds * 1000);
      waitedS += seconds;
    }
  }

  /**
   * POST /api/generate with the picture file; waits while the queue is full or the client is over
   * its rate. Throws ApiRefusal (the picture or an option refused) or ApiFailure.
   * @param {string} picturePath
   * @param {GenerateOptions} options
   * @param {string} [subject] what the waits are told the request is for (default: the file name)
   * @returns {Promise<Accepted>}
   */
  async submit(picturePath, options, subject = basename(picturePath)) {
    const bytes = await readFile(picturePath);
    const type =
      PICTURE_TYPES[picturePath.slice(picturePath.lastIndexOf('.')).toLowerCase()] ??
      'application/octet-stream';
    const response = await this.patiently(
      () => {
        const form = new FormData();
        form.append('image', new Blob([bytes], { type }), basename(picturePath));
        if (options.quality !== undefined) form.append('quality', options.quality);
        if (options.seed !== undefined) form.append('seed', String(options.seed));
        return this.send(`${this.server}/api/generate`, { method: 'POST', body: form });
      },
      false,
      subject,
    );
    if (response.status !== 202 && response.status !== 200) throw await errorOf(response);
    return /** @type {Accepted} */ (await response.json());
  }

  /**
   * GET /api/tasks/{id}.
   * @param {string} taskId
   * @returns {Promise<TaskView>}
   */
  async task(taskId) {
    const response = await this.patiently(() =>
      this.send(`${this.server}/api/tasks/${encodeURIComponent(taskId)}`),
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
    const response = await this.send(`${this.server}/api/tasks/${encodeURIComponent(taskId)}`, {
      method: 'DELETE',
      headers: { 'X-Task-Token': token },
    });
    if (!response.ok) throw await errorOf(response);
    return /** @type {TaskView} */ (await response.json());
  }

  /**
   * Follows the task's event stream (GET /api/status/{id}: EventSource, which reconnects with
   * Last-Event-ID) until it is completed or failed; falls back to polling GET /api/tasks/{id}
   * every 2 s when the stream cannot be held (a proxy that buffers it, or a server restarting).
   * The task lives in the server's Redis, so a server that stops answering for a while (a
   * restart, an update) is waited for, as a busy one is, up to maxWaitS; then ApiUnreachable.
   * @param {string} taskId
   * @param {string | undefined} subject what the waits are told the task is for (a picture's name)
   * @param {(snapshot: TaskView) => void} onSnapshot every state seen
   * @returns {Promise<TaskView>} the final snapshot
   */
  follow(taskId, subject, onSnapshot) {
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
        // A non-200 answer (a proxy's 502, the api's 429 too_many_streams) closes the stream for
        // good with this one error: poll at once. Else EventSource reconnects; poll after 3 tries.
        if (done || (source.readyState !== source.CLOSED && ++failures < 3)) return;
        source.close();
        this.poll(taskId, subject, seen).catch(reject);
      });
    });
  }

  /**
   * GET /api/tasks/{id} every 2 s until the task ends; while no answer comes from the server
   * itself (no connection, or a proxy's gateway error: serverAway), every UNREACHABLE_RETRY_S,
   * told to onWait, for up to maxWaitS in a row.
   * @param {string} taskId
   * @param {string | undefined} subject
   * @param {(snapshot: TaskView) => void} seen
   */
  async poll(taskId, subject, seen) {
    let unreachableSince;
    for (;;) {
      let snapshot;
      try {
        snapshot = await this.task(taskId);
      } catch (error) {
        if (!serverAway(error)) throw error;
        unreachableSince ??= Date.now();
        if (Date.now() + UNREACHABLE_RETRY_S * 1000 > unreachableSince + this.waits.maxWaitS * 1000)
          throw error;
        const why = error instanceof ApiUnreachable ? error.message : `the server is away (${error.message})`;
        this.waits.onWait?.(UNREACHABLE_RETRY_S, `${why}, the task is kept there`, subject);
        await sleep(UNREACHABLE_RETRY_S * 1000);
        continue;
      }
      unreachableSince = undefined;
      seen(snapshot);
      if (snapshot.status === 'completed' || snapshot.status === 'failed') return;
      await sleep(2000);
    }
  }

  /**
   * GET a download URL (a task's `formats[].url`, with size_mm added for stl and 3mf) on --server
   * (onServer: the URL's own host is the server's public one), waiting while the file is being
   * made (202). Throws ApiRefusal / ApiFailure / ApiUnreachable.
   * @param {string} url as the server handed it out
   * @param {string} [subject] what the waits are told the file is for (a picture's name)
   * @returns {Promise<{ bytes: Buffer, watertight: string | null, fileName: string | undefined }>}
   */
  async download(url, subject) {
    const target = onServer(this.server, url);
    const response = await this.patiently(() => this.send(target), true, subject);
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
