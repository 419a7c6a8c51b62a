import { request } from 'node:http';
import { rememberTask } from '../support/http-client';

/** One part of a multipart body: its Content-Disposition written as given (raw bytes allowed). */
export interface Part {
  /** The whole Content-Disposition value, e.g. `form-data; name="image"; filename="a.png"`. */
  disposition: Buffer | string;
  contentType?: string;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export const imagePart = (body: Buffer, filename = 'upload.png', field = 'image'): Part => ({
  disposition: `form-data; name="${field}"; filename="${filename}"`,
  contentType: 'application/octet-stream',
  body,
});

/**
 * POST /api/generate with exactly these parts, sent by node:http: with a Content-Length, or
 * chunked (none) when chunked is true. Resolves on the answer even when the server stops
 * reading early (a 413).
 */
export function postMultipart(
  baseUrl: string,
  parts: Part[],
  options: { chunked?: boolean; path?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const boundary = '----kiln3dreliability7d1c';
  const pieces: Buffer[] = [];
  for (const part of parts) {
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: `));
    pieces.push(Buffer.isBuffer(part.disposition) ? part.disposition : Buffer.from(part.disposition));
    pieces.push(Buffer.from(`\r\n${part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''}\r\n`));
    pieces.push(part.body, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  const body = Buffer.concat(pieces);
  const headers: Record<string, string | number> = {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
  };
  if (!options.chunked) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      new URL(options.path ?? '/api/generate', baseUrl),
      { method: 'POST', headers },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            // A 202 is a task made here: keep its token, as its maker would (cancelTask).
            json = rememberTask(JSON.parse(text) as Record<string, unknown>);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error('no answer in time')));
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    // In 64 KiB writes, so a server that answers early (413) is seen as such.
    const step = 64 * 1024;
    let at = 0;
    const pump = (): void => {
      while (at < body.length && !answered) {
        const slice = body.subarray(at, at + step);
        at += slice.length;
        if (!req.write(slice)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}
