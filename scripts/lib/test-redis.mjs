// The Redis databases of one `npm test` run: every suite that touches Redis runs on a database of
// its own, so suites can run side by side (scripts/test.mjs hands one to each running job).
//
// By default the run starts a private in-memory redis-server on a free loopback port (nothing
// saved, removed at the end) and hands out its databases: a run never touches a Redis you use,
// and two runs on one machine (two checkouts, CI beside a developer) never meet. With
// KILN_TEST_REDIS_DBS (for example `6,7` or `32-47`) it uses those databases of the server
// KILN_TEST_REDIS_SERVER (default redis://127.0.0.1:6379) instead, and runs at most that many
// Redis suites at once; it clears only `kiln:*` keys there (the tests' own).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from './ensure.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `6,7`, `32-47` or `6,8-10` -> [6, 7] ... */
export function parseDatabases(text) {
  const dbs = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const range = part.match(/^(\d+)-(\d+)$/);
    if (range) {
      for (let db = Number(range[1]); db <= Number(range[2]); db++) dbs.push(db);
    } else if (/^\d+$/.test(part)) {
      dbs.push(Number(part));
    } else {
      throw new Error(`KILN_TEST_REDIS_DBS: "${part}" is not a database number or a range like 32-47`);
    }
  }
  if (dbs.length === 0) throw new Error('KILN_TEST_REDIS_DBS names no database');
  return [...new Set(dbs)];
}

/**
 * Redis commands pipelined on one plain socket (no dependency), on database `db`: resolves with
 * the raw replies once `lines` reply lines have come (each reply here is one line, CONFIG GET's
 * array five).
 */
function send(host, port, commands, lines) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const encode = (args) =>
      `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    let reply = '';
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`Redis at ${host}:${port} did not answer ${commands.map((c) => c[0]).join(', ')}`));
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(commands.map(encode).join('')));
    socket.on('data', (data) => {
      reply += data.toString();
      const error = reply.match(/^-.*$/m);
      if (error) {
        socket.destroy();
        reject(new Error(`Redis at ${host}:${port}: ${error[0].slice(1)}`));
      } else if (reply.split('\r\n').length > lines) {
        socket.destroy();
        resolve(reply);
      }
    });
  });
}

/**
 * The run's databases. `acquire()` hands one out (or null when all are in use), `release(db)`
 * gives it back; `url(db)` is the URL a suite gets as KILN_TEST_REDIS_URL (and the e2e and bench
 * variables). `stop()` ends the private server, if one was started.
 */
export async function testRedis(env = process.env) {
  const wanted = env.KILN_TEST_REDIS_DBS?.trim();
  let host = '127.0.0.1';
  let port;
  let dbs;
  let server = null;
  let dir = null;
  if (wanted) {
    const base = new URL(env.KILN_TEST_REDIS_SERVER || 'redis://127.0.0.1:6379');
    host = base.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    port = Number(base.port || 6379);
    dbs = parseDatabases(wanted);
    if (!(await redisAnswers(host, port))) {
      throw new Error(
        `KILN_TEST_REDIS_DBS is set, but no Redis answers at ${host}:${port} (KILN_TEST_REDIS_SERVER)`,
      );
    }
    const reply = await send(host, port, [['CONFIG', 'GET', 'databases']], 5).catch(() => null);
    const count = Number(reply?.match(/\r\n(\d+)\r\n$/)?.[1]);
    const over = Number.isFinite(count) ? dbs.filter((db) => db >= count) : [];
    if (over.length > 0) {
      throw new Error(
        `KILN_TEST_REDIS_DBS names databases ${over.join(', ')}, but the Redis at ${host}:${port} has ${count} (0-${count - 1})`,
      );
    }
  } else {
    const binary = env.KILN_REDIS_SERVER || 'redis-server';
    if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error(
        `${binary} is needed for the tests' private Redis: install it (Debian/Ubuntu: \`sudo apt-get install redis-server\`), ` +
          'or run the suites on databases of a Redis you have with KILN_TEST_REDIS_DBS=6,7 (and KILN_TEST_REDIS_SERVER)',
      );
    }
    port = await freePort();
    dbs = Array.from({ length: 16 }, (_, i) => i);
    dir = mkdtempSync(join(tmpdir(), 'kiln3d-test-redis-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    args.push('--databases', String(dbs.length));
    server = spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      if (server.exitCode !== null) break;
      up = await redisAnswers(host, port);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) {
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the tests' private redis-server did not start on port ${port}`);
    }
  }
  const free = [...dbs];
  return {
    description: server
      ? `a private redis-server on ${host}:${port} for this run (databases 0-${dbs.length - 1})`
      : `databases ${dbs.join(', ')} of the Redis at ${host}:${port} (KILN_TEST_REDIS_DBS)`,
    size: dbs.length,
    url: (db) => `redis://${host.includes(':') ? `[${host}]` : host}:${port}/${db}`,
    available: () => free.length > 0,
    acquire: () => (free.length > 0 ? free.shift() : null),
    release: (db) => {
      if (!free.includes(db)) free.push(db);
    },
    /** Empties a database before a suite gets it: all of it on the private server, else `kiln:*`. */
    async clear(db) {
      const select = ['SELECT', String(db)];
      if (server) {
        await send(host, port, [select, ['FLUSHDB']], 2);
      } else {
        const script =
          "local cursor = '0' repeat " +
          "local r = redis.call('SCAN', cursor, 'MATCH', 'kiln:*', 'COUNT', 1000) cursor = r[1] " +
          "for _, k in ipairs(r[2]) do redis.call('DEL', k) end until cursor == '0' return 0";
        await send(host, port, [select, ['EVAL', script, '0']], 2);
      }
    },
    stop() {
      if (!server) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
        server.once('exit', () => {
          clearTimeout(timer);
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        if (server.exitCode !== null) server.emit('exit');
        else server.kill('SIGTERM');
      });
    },
  };
}
