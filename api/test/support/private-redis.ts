import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort } from './ports';
import { waitFor } from './env';

/**
 * A redis-server of a test's own (its own free port and folder, an append-only file, never the
 * shared Redis), which the test stops and starts again to stand for an outage: what it had written
 * is there after the restart, as with the compose Redis (docker-compose.yml).
 */
export interface PrivateRedis {
  /** redis://127.0.0.1:{port}/0 */
  readonly url: string;
  readonly port: number;
  /** SIGTERM (the append-only file is written), resolves once it exited; nothing when stopped. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder; resolves once it answers PING (10 s at most). */
  start(): Promise<void>;
}

/** Starts a PrivateRedis keeping its files in `dir` (made if missing); resolves once it answers. */
export async function startPrivateRedis(dir: string): Promise<PrivateRedis> {
  const port = await freePort();
  let server = await spawnRedis(dir, port);
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    },
    async start() {
      server = await spawnRedis(dir, port);
    },
  };
}

async function spawnRedis(dir: string, port: number): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: 'ignore' },
  );
  await waitFor(
    'the private redis-server',
    async () => {
      const probe = new Redis({
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    },
    10_000,
  );
  return child;
}
