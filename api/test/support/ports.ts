import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's range of ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range; Linux's default
 * 32768-60999 elsewhere): the local ports of outgoing connections come from it.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // Not Linux: its default.
  }
  return [32768, 60999];
}

/** Whether a server can listen on `port` on every interface now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port nothing listens on, for a server a test starts a moment later. Chosen at random below
 * the ephemeral range (ephemeralRange), never by `listen(0)`: a port the kernel handed out there
 * could be taken, between this check and the server's listen, by any outgoing connection of the
 * processes beside it (an api's Redis client, Chromium; seen as EADDRINUSE in a CI run). Another
 * test's choice can still land on it: startApi retries a start that lost its port.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = Math.min(20_000, low - 1_000);
  for (let tries = 0; tries < 50; tries += 1) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found in ${floor}-${low - 1}`);
}
