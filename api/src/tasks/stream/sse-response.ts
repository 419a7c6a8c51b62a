import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { SseOutput } from './sse-client';

/**
 * The event stream's response headers (docs/design.md, GET /api/status/{id}), as Nest's @Sse()
 * sent them: no cache or transformation anywhere, and `X-Accel-Buffering: no` so a buffering
 * proxy (nginx) passes each event on at once.
 */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
  Pragma: 'no-cache',
  Expires: '0',
  'X-Accel-Buffering': 'no',
} as const;

const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * A frame as one HTTP/1.1 chunk (`<size hex>\r\n<frame>\r\n`), built once per frame Buffer: the
 * frames a fan-out shares (TaskSseMessages) are the same Buffer for all their streams, so the
 * chunk is too, and it goes when they do (WeakMap).
 */
const chunks = new WeakMap<Buffer, Buffer>();
function chunkOf(frame: Buffer): Buffer {
  let chunk = chunks.get(frame);
  if (chunk === undefined) {
    chunk = Buffer.concat([Buffer.from(`${frame.length.toString(16)}\r\n`, 'latin1'), frame, CRLF]);
    chunks.set(frame, chunk);
  }
  return chunk;
}

/**
 * A chunked response whose body chunks are written to its socket directly, each event as one
 * pre-framed Buffer (chunkOf): one socket write per event and stream. res.write() would cork the
 * socket, write the size, the data and CRLF separately, and uncork on the next tick, per stream
 * and event: about a fifth of the api's CPU at 1,000 streams (docs/performance.md, issue 24).
 * The headers are flushed before any chunk; res.end() writes the last chunk as usual, after
 * these (the same socket, in order). Backpressure and 'drain' are the socket's.
 */
class ChunkedSocketOutput implements SseOutput {
  constructor(
    private readonly res: ServerResponse,
    private readonly socket: Socket,
  ) {}

  write(frame: Buffer): boolean {
    return this.socket.write(chunkOf(frame));
  }

  end(): void {
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  get destroyed(): boolean {
    return this.res.destroyed || this.socket.destroyed;
  }

  get writableEnded(): boolean {
    return this.res.writableEnded;
  }

  on(event: 'drain' | 'close', listener: () => void): this {
    if (event === 'drain') this.socket.on('drain', listener);
    else this.res.on('close', listener);
    return this;
  }
}

/**
 * Sends the event stream's status and headers (200, SSE_HEADERS) and answers where its events
 * go: straight to the socket as pre-framed chunks when Node chose chunked encoding (an HTTP/1.1
 * client, or nginx with proxy_http_version 1.1), else the response itself (an HTTP/1.0 client
 * such as nginx's default upstream protocol gets the body delimited by the connection's close,
 * which res.write() does). Also turns the socket's idle timeout off (the heartbeats keep a quiet
 * stream alive) and Nagle's delay off, as Nest's @Sse() did.
 */
export function openSseResponse(res: ServerResponse): SseOutput {
  const socket = res.socket;
  socket?.setKeepAlive(true);
  socket?.setNoDelay(true);
  socket?.setTimeout(0);
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  return socket && res.chunkedEncoding ? new ChunkedSocketOutput(res, socket) : res;
}
