import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { SAMPLES_DIR } from './env';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * The model id a completed task's model URL names (`.../{id}.glb`), checking that its download
 * URL names the same model (`.../{id}.source.glb`) and that the id is a UUID v4 of the model's
 * own, not the task's (issue 19: files are never named by the task that made them).
 */
export function modelIdIn(modelUrl: string, downloadUrl: string, taskId: string): string {
  const match = /\/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.glb$/.exec(
    modelUrl,
  );
  if (match === null) throw new Error(`${modelUrl} names no model id`);
  const id = match[1];
  if (id === taskId) throw new Error(`${modelUrl} is named by its task id`);
  if (downloadUrl !== modelUrl.replace(/\.glb$/, '.source.glb'))
    throw new Error(`${downloadUrl} is not the source of ${modelUrl}`);
  return id;
}

export function sample(name: string): Buffer {
  return readFileSync(join(SAMPLES_DIR, name));
}

/** POST /api/generate with one file in `field` (default "image"). */
export async function upload<T = Record<string, unknown>>(
  baseUrl: string,
  bytes: Buffer,
  options: { filename?: string; contentType?: string; field?: string; query?: string } = {},
): Promise<JsonResponse<T>> {
  const form = new FormData();
  form.append(
    options.field ?? 'image',
    new Blob([bytes], { type: options.contentType ?? 'application/octet-stream' }),
    options.filename ?? 'upload.bin',
  );
  const response = await fetch(`${baseUrl}/api/generate${options.query ?? ''}`, {
    method: 'POST',
    body: form,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: rememberTask((await response.json()) as T),
  };
}

/**
 * POST /api/texture with `mesh` (named `meshName`, default mesh.glb) and `image` (a PNG named
 * lantern.png) and the given text fields; either file left out when undefined. The body parsed
 * (and a made task remembered: rememberTask).
 */
export async function postTexture<T = Record<string, unknown>>(
  baseUrl: string,
  files: { mesh?: Buffer; image?: Buffer; meshName?: string },
  fields: Record<string, string> = {},
  query = '',
): Promise<JsonResponse<T>> {
  const form = new FormData();
  if (files.mesh) form.append('mesh', new Blob([files.mesh]), files.meshName ?? 'mesh.glb');
  if (files.image) form.append('image', new Blob([files.image], { type: 'image/png' }), 'lantern.png');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const response = await fetch(`${baseUrl}/api/texture${query}`, { method: 'POST', body: form });
  return {
    status: response.status,
    headers: response.headers,
    body: rememberTask((await response.json()) as T),
  };
}

/**
 * POST /api/generate with a PNG picture as `image` (named lantern.png) and the given text fields
 * (the generation options); query e.g. `?wait=true`. Resolves with fetch's Response, unread.
 */
export function postPicture(
  baseUrl: string,
  png: Buffer,
  fields: Record<string, string> = {},
  query = '',
): Promise<Response> {
  const form = new FormData();
  form.append('image', new Blob([png], { type: 'image/png' }), 'lantern.png');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return fetch(`${baseUrl}/api/generate${query}`, { method: 'POST', body: form });
}

/** What the maker of a task holds from its 202: the id, and the token that changes the task (issue 19). */
export interface MadeTask {
  task_id: string;
  task_token: string;
}

/** The tokens of the tasks this test process made (task id -> token), as a maker keeps them. */
const madeTasks = new Map<string, string>();

/** Keeps the task token of a 202 body (any other body is ignored); returns the body. */
export function rememberTask<T>(body: T): T {
  const made = body as Partial<MadeTask> | null;
  if (typeof made?.task_id === 'string' && typeof made.task_token === 'string') {
    madeTasks.set(made.task_id, made.task_token);
  }
  return body;
}

/** The headers a task's maker sends to change it: its X-Task-Token (none for a task not made here). */
export function makerHeaders(taskId: string): Record<string, string> {
  const token = madeTasks.get(taskId);
  return token === undefined ? {} : { 'X-Task-Token': token };
}

/**
 * DELETE /api/tasks/{id} as the task's maker: with its X-Task-Token (from `task`, or kept by
 * rememberTask for an id) and any other headers of `init`. Resolves with fetch's Response, unread.
 */
export function cancelTask(
  baseUrl: string,
  task: MadeTask | string,
  init: RequestInit = {},
): Promise<Response> {
  const id = typeof task === 'string' ? task : task.task_id;
  const token = typeof task === 'string' ? madeTasks.get(task) : task.task_token;
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('X-Task-Token', token);
  return fetch(`${baseUrl}/api/tasks/${id}`, { ...init, method: 'DELETE', headers });
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  init?: RequestInit,
): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

export interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface SseRead {
  status: number;
  events: SseEvent[];
  comments: string[];
  retry: number | undefined;
  /** True when the server ended the stream (not us). */
  endedByServer: boolean;
  body: string;
}

/** One SSE block (the text between two blank lines): its comment lines and its `name: value` fields. */
export function parseSseBlock(block: string): { comments: string[]; fields: Record<string, string> } {
  const comments: string[] = [];
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
    }
  }
  return { comments, fields };
}

/**
 * Reads an SSE stream with node:http (so Last-Event-ID can be sent and the connection dropped
 * at will). Stops when the server ends it, after `stopAfterEvents`, or after `timeoutMs`.
 */
export function readSse(
  url: string,
  options: {
    lastEventId?: number;
    stopAfterEvents?: number;
    timeoutMs?: number;
    stopWhen?: (read: SseRead) => boolean;
  } = {},
): Promise<SseRead> {
  return new Promise((resolve, reject) => {
    const read: SseRead = {
      status: 0,
      events: [],
      comments: [],
      retry: undefined,
      endedByServer: false,
      body: '',
    };
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['Last-Event-ID'] = String(options.lastEventId);
    let buffer = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(read);
    };
    const req = request(url, { headers }, (res) => {
      read.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        read.body += chunk;
        buffer += chunk;
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const { comments, fields } = parseSseBlock(block);
          read.comments.push(...comments);
          if (fields['retry'] !== undefined) read.retry = Number(fields['retry']);
          if (fields['data'] !== undefined) {
            read.events.push({
              id: Number(fields['id']),
              event: fields['event'] ?? 'message',
              data: JSON.parse(fields['data']) as Record<string, unknown>,
            });
            if (options.stopAfterEvents !== undefined && read.events.length >= options.stopAfterEvents)
              return finish();
          }
          if (options.stopWhen?.(read)) return finish();
        }
      });
      res.on('end', () => {
        read.endedByServer = true;
        finish();
      });
      res.on('error', () => finish());
    });
    const timer = setTimeout(finish, options.timeoutMs ?? 60_000);
    req.on('error', (error) => (done ? undefined : reject(error)));
    req.end();
  });
}

/** Follows a task's SSE stream to its terminal event; returns every event. */
export async function followToEnd(baseUrl: string, taskId: string, timeoutMs = 120_000): Promise<SseEvent[]> {
  const read = await readSse(`${baseUrl}/api/status/${taskId}`, { timeoutMs });
  if (!read.endedByServer) throw new Error(`stream of ${taskId} did not end: ${read.body.slice(-500)}`);
  return read.events;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Bytes of the body we had written when the answer arrived. */
  bytesSentAtAnswer: number;
}

/**
 * Streams a large multipart upload slowly enough to see whether the server answers before the
 * end: chunked when contentLength is false, else with a truthful Content-Length.
 */
export function rawUpload(
  baseUrl: string,
  fileBytes: number,
  options: { contentLength: boolean; chunkBytes?: number },
): Promise<RawResponse> {
  const boundary = '----kiln3dtestboundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n` +
      'Content-Type: image/png\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const total = head.length + fileBytes + tail.length;
  const url = new URL('/api/generate', baseUrl);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string | number> = {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
    };
    if (options.contentLength) headers['Content-Length'] = total;
    const req = request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      const bytesSentAtAnswer = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytesSentAtAnswer }),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(options.chunkBytes ?? 256 * 1024, 7);
    const pump = (): void => {
      if (answered || req.destroyed) return;
      if (sent === 0) {
        req.write(head);
        sent += head.length;
      }
      while (sent < head.length + fileBytes) {
        const n = Math.min(chunk.length, head.length + fileBytes - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
        if (answered) return;
      }
      req.end(tail);
    };
    pump();
  });
}

/** A GET through node:http, which sends exactly the headers given (fetch adds its own cache headers). */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
