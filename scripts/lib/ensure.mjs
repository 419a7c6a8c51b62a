// Brings a fresh clone up to a runnable state: JS dependencies, the sidecar's Python
// environment, the api and web builds, a reachable Redis. Each step is skipped when its
// inputs have not changed since it last succeeded.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale, touchStamp } from './freshness.mjs';
import { mustRun } from './run.mjs';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const STAMPS = join(ROOT, 'dist', '.stamps');
const log = (msg) => console.log(`[kiln3d] ${msg}`);

export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new Error(`Node.js 20.19 or newer is required, this is ${process.versions.node}`);
  }
}

export async function ensureNodeModules() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const inputs = [join(ROOT, 'package.json'), join(ROOT, 'package-lock.json')];
  if (existsSync(marker) && !isStale(marker, inputs)) return;
  const hasLock = existsSync(join(ROOT, 'package-lock.json'));
  await mustRun(
    'installing JS dependencies',
    'npm',
    [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund'],
    {
      cwd: ROOT,
    },
  );
}

function pythonVersion(cmd) {
  const out = spawnSync(cmd, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  if (out.status !== 0) return null;
  const [major, minor] = out.stdout.trim().split('.').map(Number);
  return { major, minor };
}

function findPython() {
  // 3.11 first: the version the GPU host guide installs (with its headers, which TRELLIS.2's CUDA
  // extensions compile against) and the sidecar image uses; a newer one beside it is not taken.
  for (const cmd of ['python3.11', 'python3.12', 'python3.13', 'python3']) {
    const v = pythonVersion(cmd);
    if (v && v.major === 3 && v.minor >= 11) return cmd;
  }
  throw new Error(
    'Python 3.11 or newer is required for the inference sidecar, with venv. Debian 12 / Ubuntu 24.04: ' +
      '`sudo apt-get install python3 python3-venv`. Ubuntu 22.04 ships 3.10: `sudo add-apt-repository -y ' +
      'ppa:deadsnakes/ppa && sudo apt-get install python3.11 python3.11-venv python3.11-dev` (docs/gpu-host.md). ' +
      'macOS: `brew install python@3.12`.',
  );
}

export const VENV_PYTHON = join(ROOT, 'inference', '.venv', 'bin', 'python');

export async function ensurePython() {
  const venv = join(ROOT, 'inference', '.venv');
  const stamp = join(venv, '.kiln3d-installed');
  const inputs = [join(ROOT, 'inference', 'pyproject.toml')];
  if (existsSync(VENV_PYTHON) && !isStale(stamp, inputs)) return;
  if (!existsSync(VENV_PYTHON)) {
    const python = findPython();
    rmSync(venv, { recursive: true, force: true });
    await mustRun('creating the sidecar environment', python, ['-m', 'venv', venv], { cwd: ROOT });
  }
  await mustRun(
    'installing the sidecar (inference/)',
    VENV_PYTHON,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '-q',
      '-e',
      `${join(ROOT, 'inference')}[dev,bench,formats]`,
    ],
    { cwd: ROOT },
  );
  touchStamp(stamp);
}

/** moto_server, the S3-protocol server of the api tests (api/test/support/moto.ts). */
export const MOTO_SERVER = join(ROOT, '.run', 'moto-venv', 'bin', 'moto_server');

/**
 * The tests' object store: moto's standalone server (PyPI `moto[server]`, pinned in
 * api/test/support/moto-requirements.txt) in a venv of its own under .run/, so the sidecar's
 * environment (and what `npm start` installs) stays free of boto3, Flask and the rest.
 */
export async function ensureMoto() {
  const venv = join(ROOT, '.run', 'moto-venv');
  const python = join(venv, 'bin', 'python');
  const stamp = join(venv, '.kiln3d-installed');
  const requirements = join(ROOT, 'api', 'test', 'support', 'moto-requirements.txt');
  if (existsSync(MOTO_SERVER) && !isStale(stamp, [requirements])) return;
  if (!existsSync(python)) {
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(join(ROOT, '.run'), { recursive: true });
    await mustRun('creating the test object store environment', findPython(), ['-m', 'venv', venv], {
      cwd: ROOT,
    });
  }
  await mustRun(
    'installing the test object store (moto[server])',
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirements],
    { cwd: ROOT },
  );
  touchStamp(stamp);
}

export async function ensureApiBuild() {
  const stamp = join(STAMPS, 'api');
  const inputs = [
    'api/src',
    'api/tsconfig.json',
    'api/tsconfig.build.json',
    'scripts/lib/api-build.mjs',
    'tsconfig.base.json',
    'proto',
  ].map((p) => join(ROOT, p));
  if (existsSync(join(ROOT, 'dist', 'api', 'main.bundle.js')) && !isStale(stamp, inputs)) return;
  // tsc, then the bundle that npm start runs (scripts/lib/api-build.mjs).
  await mustRun('building the api', process.execPath, [join(ROOT, 'scripts', 'lib', 'api-build.mjs')], {
    cwd: ROOT,
  });
  touchStamp(stamp);
}

const WEB_STAMP = join(STAMPS, 'web');
const webInputs = () => [
  ...['web/src', 'web/public', 'angular.json', 'tsconfig.base.json'].map((p) => join(ROOT, p)),
  join(ROOT, 'web'),
];

/** Whether dist/web is the build of the current web/ sources (the stamp of its last build is newer). */
export function webBuildIsCurrent() {
  return existsSync(join(ROOT, 'dist', 'web', 'browser', 'index.html')) && !isStale(WEB_STAMP, webInputs());
}

/** Records a successful `ng build` (scripts/test.mjs runs it as one of its jobs). */
export function markWebBuilt() {
  touchStamp(WEB_STAMP);
}

export async function ensureWebBuild() {
  if (webBuildIsCurrent()) return;
  // ng build, then the brotli and gzip copies the api serves (scripts/lib/web-build.mjs).
  await mustRun('building the web app', process.execPath, [join(ROOT, 'scripts', 'lib', 'web-build.mjs')], {
    cwd: ROOT,
    env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
  });
  markWebBuilt();
}

export const tscBin = () => join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
export const ngBin = () => join(ROOT, 'node_modules', '@angular', 'cli', 'bin', 'ng.js');

/** Resolves true when a Redis server answers PING (or asks for a password) at host:port. */
export function redisAnswers(host, port, timeoutMs = 1500) {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolveAnswer(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      const text = data.toString();
      done(text.startsWith('+PONG') || text.includes('NOAUTH') || text.startsWith('-'));
    });
  });
}

function which(cmd) {
  const out = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : null;
}

/** The `maxmemory` of the Redis `npm start` runs, as compose's (REDIS_MAXMEMORY overrides both). */
export const REDIS_MAXMEMORY = '1gb';

/**
 * Finds the Redis named by REDIS_URL, or starts a local redis-server for it when the URL
 * points at this machine (and, with `defaultPortOnly`, at Redis's own port 6379: a REDIS_URL on
 * another local port names a Redis someone runs there, e.g. compose's on 6380, and one that does
 * not answer is a mistake to report, not a port to take). Returns the child process it started
 * (or null), in a process group of its own: the caller stops it (SIGTERM) when it is done with it.
 */
export async function ensureRedis(redisUrl, { persist, defaultPortOnly = false }) {
  const url = new URL(redisUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  if (await redisAnswers(host, port)) return null;
  if (defaultPortOnly && port !== 6379) {
    throw new Error(
      `Redis is not reachable at ${host}:${port} (REDIS_URL). Start the Redis it names (compose's: ` +
        '`docker compose up -d redis`), or leave REDIS_URL on port 6379 (or unset) and `npm start` ' +
        'runs its own there.',
    );
  }
  const local = ['127.0.0.1', 'localhost', '::1'].includes(host);
  const server = which('redis-server');
  if (!local || !server) {
    throw new Error(
      `Redis is not reachable at ${host}:${port}` +
        (local
          ? ' and redis-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`), or run `docker compose up -d redis` with `REDIS_URL=redis://127.0.0.1:6380` (the compose Redis keeps 6379 free for a host Redis), or point REDIS_URL at a Redis you have.'
          : '. Check REDIS_URL.'),
    );
  }
  const dir = join(ROOT, '.run', 'redis');
  mkdirSync(dir, { recursive: true });
  // Persist with an append-only file so queued tasks survive a restart of `npm start`.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  // A bound on what strangers' tasks can make it hold (the api refuses new ones at 90 % of it,
  // 507 store_full), as compose's Redis; noeviction, Redis's default, is what Bull needs.
  args.push(
    '--maxmemory',
    process.env.REDIS_MAXMEMORY || REDIS_MAXMEMORY,
    '--maxmemory-policy',
    'noeviction',
  );
  args.push('--appendonly', persist ? 'yes' : 'no');
  log(`Redis is not running at ${host}:${port}: starting ${server} (data in ${dir})`);
  // A process group of its own: Ctrl-C in the terminal (SIGINT to the whole foreground group) or
  // `timeout`/a service manager signalling the group must not stop Redis under the api's graceful
  // shutdown, which puts the running job back in it. The caller stops it once the api has exited.
  const child = spawn(server, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers('127.0.0.1', port)) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`redis-server did not start on port ${port}`);
}

/** schemathesis, pinned, for the reliability suite's API fuzzing (its own venv: see docs/reliability.md). */
export const SCHEMATHESIS_VERSION = '4.32.5';
export const SCHEMATHESIS_BIN = join(ROOT, '.run', 'schemathesis', 'bin', 'st');

/**
 * A venv of its own under .run/schemathesis (not the sidecar's: schemathesis pulls hypothesis,
 * pydantic-core and friends the sidecar does not need). Both reliability profiles use it: `npm
 * test`'s quick one for a short pass over every route, `npm run test:reliability` for the search.
 */
export async function ensureSchemathesis() {
  const venv = join(ROOT, '.run', 'schemathesis');
  const stamp = join(venv, `.kiln3d-schemathesis-${SCHEMATHESIS_VERSION}`);
  if (existsSync(stamp) && existsSync(SCHEMATHESIS_BIN)) return;
  if (!existsSync(join(venv, 'bin', 'python'))) {
    rmSync(venv, { recursive: true, force: true });
    await mustRun('creating the schemathesis environment', findPython(), ['-m', 'venv', venv], { cwd: ROOT });
  }
  await mustRun(
    'installing schemathesis (API fuzzing)',
    join(venv, 'bin', 'python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', `schemathesis==${SCHEMATHESIS_VERSION}`],
    { cwd: ROOT },
  );
  touchStamp(stamp);
}

/** Debian's Chromium for the browser tests; installed with apt-get when we may. */
export async function ensureChromium() {
  // The variable the suites read (api/test/support/chromium.ts).
  const path = process.env.KILN_CHROMIUM || '/usr/bin/chromium';
  if (existsSync(path)) return path;
  await aptInstall('Chromium', 'chromium', `Chromium not found at ${path}`, 'or set KILN_CHROMIUM');
  return path;
}

/**
 * Debian's nginx for the api test that streams SSE through a real reverse proxy
 * (api/test/e2e/nginx-sse.test.ts starts its own on a free port; the package's service is not used);
 * installed with apt-get when we may. KILN_NGINX names another binary.
 */
export async function ensureNginx() {
  const path = process.env.KILN_NGINX || '/usr/sbin/nginx';
  if (existsSync(path)) return path;
  await aptInstall('nginx', 'nginx', `nginx not found at ${path}`, 'or set KILN_NGINX');
  return path;
}

/**
 * Debian's docker-compose (v1) for the api test that validates docker-compose.yml without a daemon
 * (api/test/ops/compose.test.ts runs `docker-compose config`); installed with apt-get when we may.
 * KILN_DOCKER_COMPOSE names another binary.
 */
export async function ensureDockerCompose() {
  const path = process.env.KILN_DOCKER_COMPOSE || '/usr/bin/docker-compose';
  if (existsSync(path)) return path;
  await aptInstall(
    'docker-compose',
    'docker-compose',
    `docker-compose not found at ${path}`,
    'or set KILN_DOCKER_COMPOSE',
  );
  return path;
}

/**
 * Debian's Blender for the formats tests (inference/tests/test_formats_blender.py imports the OBJ,
 * STL and PLY the formats tool writes, headless); python3-numpy beside it for its glTF add-on.
 * Installed with apt-get when we may; the pytest step sets KILN_REQUIRE_BLENDER so that test
 * cannot skip.
 */
export async function ensureBlender() {
  const path = which('blender');
  if (path) return path;
  await aptInstall('Blender', ['blender', 'python3-numpy'], 'blender not found on PATH', '');
  return which('blender');
}

/** apt-get install of Debian packages (one name or a list) when running as root with apt-get; else a clear error. */
async function aptInstall(label, pkg, missing, alternative) {
  const pkgs = [pkg].flat();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      `${missing}: install it with \`sudo apt-get install ${pkgs.join(' ')}\`${alternative ? ` ${alternative}` : ''}`,
    );
  }
  await mustRun('apt-get update', 'apt-get', ['update', '-q']);
  await mustRun(`installing ${label} (Debian package)`, 'apt-get', ['install', '-y', '-q', ...pkgs], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
