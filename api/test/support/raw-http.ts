import { request } from 'node:http';
import { parseSseBlock } from './http-client';

/** One response read through node:http, which sends exactly the headers given (Host included). */
export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes as they came (a compressed answer is not decoded). */
  bytes: Buffer;
}

/**
 * Sends one request with node:http: unlike fetch, it may set Host and forged X-Forwarded-*
 * headers. body: bytes to send (Content-Length is set from it). localAddress: the address the
 * connection comes from (a loopback alias such as 127.0.0.2, or the machine's LAN address), so
 * one test plays several peers.
 */
export function sendRaw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; localAddress?: string } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body) headers['Content-Length'] = options.body.byteLength;
    const agentOptions = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
    const req = request(url, { method: options.method ?? 'GET', headers, ...agentOptions }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString(), bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A multipart/form-data body with one file in field "image" and the given text fields (the
 * generation options), as fetch would send it.
 */
export async function imageForm(
  bytes: Buffer,
  filename: string,
  fields: Record<string, string> = {},
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)]), filename);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const encoded = new Request('http://form.invalid/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? '',
  };
}

/**
 * POST /api/generate of `picture` (as `filename`, default upload.png) with the text `fields`, from
 * `localAddress` (another peer: a loopback alias), with these extra `headers` (sent exactly, as
 * sendRaw sends them) and `method` (default POST): the raw reply.
 */
export async function sendPicture(
  url: string,
  picture: Buffer,
  options: {
    filename?: string;
    fields?: Record<string, string>;
    headers?: Record<string, string>;
    localAddress?: string;
    method?: string;
  } = {},
): Promise<RawReply> {
  const form = await imageForm(picture, options.filename ?? 'upload.png', options.fields);
  return sendRaw(`${url}/api/generate`, {
    method: options.method ?? 'POST',
    headers: { ...options.headers, 'Content-Type': form.contentType },
    body: form.body,
    localAddress: options.localAddress,
  });
}

/** One SSE record as it arrived: an event (id, event, data) or a comment, with its arrival time. */
export type TimedSseRecord =
  | { kind: 'event'; at: number; id: number; event: string; data: Record<string, unknown> }
  | { kind: 'comment'; at: number; text: string };

export interface TimedSseRead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  records: TimedSseRecord[];
  /** True when the server ended the stream. */
  endedByServer: boolean;
}

/**
 * Reads an SSE stream with node:http, stamping each record with Date.now() at its arrival (ms).
 * The body must be plain text: a compressed one is reported as no records (the test's headers
 * assertion then says why). Ends when the server ends it or after timeoutMs.
 */
export function readTimedSse(
  url: string,
  options: { headers?: Record<string, string>; timeoutMs: number },
): Promise<TimedSseRead> {
  return new Promise((resolve, reject) => {
    const read: TimedSseRead = { status: 0, headers: {}, records: [], endedByServer: false };
    let buffer = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(read);
    };
    const req = request(url, { headers: { Accept: 'text/event-stream', ...options.headers } }, (res) => {
      read.status = res.statusCode ?? 0;
      read.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = Date.now();
        buffer += chunk;
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const { comments, fields } = parseSseBlock(block);
          for (const text of comments) read.records.push({ kind: 'comment', at, text });
          if (fields['data'] !== undefined) {
            read.records.push({
              kind: 'event',
              at,
              id: Number(fields['id']),
              event: fields['event'] ?? 'message',
              data: JSON.parse(fields['data']) as Record<string, unknown>,
            });
          }
        }
      });
      res.on('end', () => {
        read.endedByServer = true;
        finish();
      });
      res.on('error', () => finish());
    });
    const timer = setTimeout(finish, options.timeoutMs);
    req.on('error', (error) => (done ? undefined : reject(error)));
    req.end();
  });
}

/** The events of a timed read, in arrival order. */
export function timedEvents(read: TimedSseRead): Extract<TimedSseRecord, { kind: 'event' }>[] {
  return read.records.filter((r): r is Extract<TimedSseRecord, { kind: 'event' }> => r.kind === 'event');
}
