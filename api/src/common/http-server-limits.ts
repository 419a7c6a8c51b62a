import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AppConfig } from '../config/app-config';
import { ApiError } from './api-error';
import { limitKey, unmapped } from './client-address';

/**
 * How often Node looks for requests over their headers or request timeout (ms). Node's default
 * (30 s) would let a slow client overstay a 20 s headers timeout by up to half a minute.
 */
export const CONNECTIONS_CHECK_MS = 1000;

/** Node's own answers to a request it could not parse (its default clientError behaviour). */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
const HEADERS_TOO_LARGE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n';
const CHUNK_EXTENSIONS_TOO_LARGE = 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n';

/**
 * The HTTP server's bounds on slow and many clients (docs/design.md, HTTP contract; issue 19),
 * set before it listens:
 * - headersTimeout (HEADERS_TIMEOUT_S, 20 s): headers dripped a byte at a time (slowloris);
 * - requestTimeout (REQUEST_TIMEOUT_S, 120 s): the whole request, body included (a 10 MB picture
 *   needs 0.7 Mbit/s upstream to fit); both answer 408 request_timeout as JSON and close;
 * - maxConnections (MAX_CONNECTIONS, 4000): beyond it Node closes each new socket at once, no answer;
 * - MAX_CONNECTIONS_PER_CLIENT (64): the same for one peer address (an IPv6 /64), so one address
 *   cannot take all MAX_CONNECTIONS from everyone else; `trusted(address)` (the 'trust proxy'
 *   setting: TRUST_PROXY) exempts the proxies whose sockets carry everyone's requests (cloudflared,
 *   nginx), which bound their own clients;
 * - keepAliveTimeout stays Node's 5 s, and no socket idle timeout (server.timeout 0): an answer's
 *   own length is never bounded, so event streams (a heartbeat at most every 15 s), ?wait=true
 *   answers (up to JOB_TIMEOUT_S with nothing sent) and proxies' long connections keep working.
 * The timeouts are checked every CONNECTIONS_CHECK_MS (the check starts when the server listens).
 * At close, sockets on which no request has begun are destroyed (closeUnusedSocketsOnClose).
 */
export function applyServerLimits(
  server: Server,
  config: AppConfig,
  trusted: (address: string) => boolean = () => false,
): void {
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  // A constructor option in @types/node, but a plain property Node reads when the server listens.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    CONNECTIONS_CHECK_MS,
    config.headersTimeoutMs,
  );
  server.timeout = 0;
  if (config.maxConnections > 0) server.maxConnections = config.maxConnections;
  if (config.maxConnectionsPerClient > 0)
    capConnectionsPerPeer(server, config.maxConnectionsPerClient, trusted);
  closeUnusedSocketsOnClose(server);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Only a socket nothing was written to may get an answer (Node's own rule).
    if (socket.writable && socket.bytesWritten === 0) {
      socket.write(
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? requestTimeoutAnswer()
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? HEADERS_TOO_LARGE
            : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
              ? CHUNK_EXTENSIONS_TOO_LARGE
              : BAD_REQUEST,
      );
    }
    socket.destroy(error);
  });
}

/**
 * At server.close() (the api's stop), destroys the sockets on which no request has begun. Node's
 * close() ends idle keep-alive sockets and waits for the others, and it stops the headers
 * timeout's check, so a socket a browser opened ahead of need (Chromium's preconnected spare)
 * and never used held every stop for the 30 s of main.ts's limit, which then exited with code 1
 * (an upgrade trial: 5 stops of 5 with a tab open). Sockets with a request keep it to the end.
 */
function closeUnusedSocketsOnClose(server: Server): void {
  const unused = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  server.on('request', (request: { socket: Socket }) => unused.delete(request.socket));
  const close = server.close.bind(server);
  server.close = (callback?: (error?: Error) => void): Server => {
    close(callback);
    for (const socket of unused) socket.destroy();
    return server;
  };
}

/** 408 request_timeout with the contract's JSON body, closing the connection. */
function requestTimeoutAnswer(): string {
  const body = JSON.stringify(new ApiError('request_timeout').body());
  return (
    'HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * Closes a new socket at once when its peer (an IPv4 address or an IPv6 /64: limitKey) already
 * holds `cap` open ones, unless `trusted(peer)`; counted here, per process, as sockets open and close.
 */
function capConnectionsPerPeer(server: Server, cap: number, trusted: (address: string) => boolean): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = unmapped(socket.remoteAddress ?? 'unknown');
    if (trusted(address)) return;
    const key = limitKey(address);
    const held = open.get(key) ?? 0;
    if (held >= cap) {
      socket.destroy();
      return;
    }
    open.set(key, held + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}
