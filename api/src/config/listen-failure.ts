import { createServer } from 'node:net';

/** The port `step` after `port`, going on from 8123 past 65535 (the last port there is). */
function portAfter(port: number, step = 1): number {
  return port + step <= 65535 ? port + step : 8122 + step;
}

/**
 * Why the api could not listen, said so an owner knows what to do (a second `npm start` on a port
 * already taken is the usual case), instead of the socket error's stack.
 * @param error what `app.listen` rejected with (a Node system error: `code` EADDRINUSE, EACCES,
 *   EADDRNOTAVAIL; anything else is quoted as it is)
 * @param port the configured PORT
 * @param host the configured HOST, undefined for every interface
 * @param nextFree the port to suggest instead (findFreePortAfter; default the next one)
 * @returns one line, without a trailing newline
 */
export function describeListenFailure(
  error: unknown,
  port: number,
  host: string | undefined,
  nextFree: number = portAfter(port),
): string {
  const where = host === undefined ? `port ${port}` : `${host} port ${port}`;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return (
        `cannot listen on ${where}: it is already in use (another Kiln3D, or another program). ` +
        `Stop that one, or choose another port: PORT=${nextFree} npm start`
      );
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges). Choose PORT=1024 or above`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: HOST=${host ?? ''} is not an address of this machine`;
    default:
      return `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The first of the 20 ports after `port` (portAfter) that binds on `host`: the one a "port in
 * use" message suggests, so the suggestion is not taken as well.
 * @returns that port, or the next one when none of them binds (the message then says it anyway)
 */
export async function findFreePortAfter(port: number, host: string | undefined): Promise<number> {
  for (let step = 1; step <= 20; step++) {
    const candidate = portAfter(port, step);
    try {
      await checkPortFree(candidate, host);
      return candidate;
    } catch {
      // Taken (or refused): try the next.
    }
  }
  return portAfter(port);
}

/**
 * Binds `port` (on `host`, or every interface) for a moment and lets it go, so that a port already
 * taken stops the start before the modules and the sidecar are started. A race with another
 * process after this check still ends in the listen failure main.ts reports the same way.
 * @param port the configured PORT (0: nothing to check)
 * @param host the configured HOST, undefined for every interface
 * @throws the socket's error (EADDRINUSE, EACCES, EADDRNOTAVAIL…), for describeListenFailure
 */
export async function checkPortFree(port: number, host: string | undefined): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    if (host === undefined) probe.listen(port, resolve);
    else probe.listen(port, host, resolve);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
