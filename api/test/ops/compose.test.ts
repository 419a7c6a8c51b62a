import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { REPO_ROOT, tempDir } from '../support/env';

/**
 * docker-compose.yml as Debian's docker-compose (v1.29) normalises it: `docker-compose config`
 * validates the file against the Compose schema, interpolates the environment and inlines each
 * service's env_file into its environment, with no daemon. npm test installs the package as root
 * (scripts/lib/ensure.mjs ensureDockerCompose); KILN_DOCKER_COMPOSE names another binary.
 */
const COMPOSE_BIN = process.env.KILN_DOCKER_COMPOSE ?? '/usr/bin/docker-compose';
const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const SETTINGS_PY = join(REPO_ROOT, 'inference', 'kiln3d_inference', 'settings.py');
const missing = existsSync(COMPOSE_BIN)
  ? false
  : `docker-compose not found at ${COMPOSE_BIN}: install it (\`sudo apt-get install docker-compose\`; npm test does as root) or set KILN_DOCKER_COMPOSE`;

interface Healthcheck {
  test: string[];
  interval?: string;
  start_period?: string;
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  healthcheck?: Healthcheck;
  restart?: string;
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { ipv4_address?: string } | null>;
  deploy?: {
    resources: { reservations: { devices: { driver: string; count: number; capabilities: string[] }[] } };
  };
}

interface Normalised {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string }[] } }>;
}

const IDENTIFIER = /^[A-Z][A-Z0-9_]*$/;

/** The rows of the Markdown table whose header line is `header`, each split into its cells. */
function tableRows(markdown: string, header: RegExp): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => header.test(line));
  assert.ok(start >= 0, `no table with the header ${String(header)}`);
  const rows: string[][] = [];
  // Skip the header and its |---| line; the table ends at the first line that is not a row.
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1));
  }
  return rows;
}

const backticked = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1]);

/** Every variable README.md's configuration table names (`| variable | default | meaning |`), in any cell. */
function readmeVariables(markdown: string): string[] {
  const names = tableRows(markdown, /^\| variable \| default \| meaning \|$/).flatMap((cells) =>
    backticked(cells.join('|')).filter((name) => IDENTIFIER.test(name)),
  );
  return [...new Set(names)];
}

/**
 * The sidecar variables (KILN_*) of models/README.md's settings table, its shorthand expanded:
 * "`KILN_TRELLIS2_STRUCTURE_STEPS` / `_SHAPE_STEPS`" names KILN_TRELLIS2_SHAPE_STEPS too.
 */
function modelsReadmeVariables(markdown: string): string[] {
  const names: string[] = [];
  for (const cells of tableRows(markdown, /^\| variable \| default \| meaning \|$/)) {
    for (const name of backticked(cells[0])) {
      if (name.startsWith('KILN_') && IDENTIFIER.test(name)) names.push(name);
      else if (/^_[A-Z0-9_]+$/.test(name)) names.push(`KILN_TRELLIS2${name}`);
    }
  }
  return [...new Set(names)];
}

/** The value the test's .env gives a variable: its own name, so a mix-up shows; PORT must be a port. */
const marker = (name: string): string => (name === 'PORT' ? '8123' : `test-${name.toLowerCase()}`);

/** The address and folders the compose file sets inside the containers, whatever .env says. */
const API_PINNED: Record<string, string> = {
  REDIS_URL: 'redis://redis:6379',
  INFERENCE_URL: 'inference:50051',
  PORT: '8000',
  HOST: '0.0.0.0',
  STATIC_DIR: '/app/static',
  LOG_DIR: '/app/logs',
  MODELS_DIR: '/app/models',
  WEB_DIR: '/app/dist/web/browser',
  INFERENCE_DIR: '/app/inference',
};
/** The sidecar's: where it listens, its folders, and the api's variables it takes under its own names. */
const INFERENCE_PINNED: Record<string, string> = {
  KILN_LISTEN: '0.0.0.0:50051',
  KILN_MODELS_DIR: '/app/models',
  KILN_CACHE_DIR: '/app/cache',
  KILN_ENGINE: marker('INFERENCE_ENGINE'),
  KILN_SIMULATE_SECONDS: marker('SIMULATE_SECONDS'),
  KILN_INFERENCE_TOKEN: marker('INFERENCE_TOKEN'),
};

void describe('docker-compose.yml (docker-compose config, no daemon)', { skip: missing }, () => {
  // A project folder of its own holding a copy of the file: its .env is the test's, never a developer's.
  const dir = tempDir('compose');
  after(() => dir.remove());
  const project = dir.path;
  copyFileSync(COMPOSE_FILE, join(project, 'docker-compose.yml'));
  const envPath = join(project, '.env');

  const apiVariables = readmeVariables(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  const sidecarVariables = modelsReadmeVariables(
    readFileSync(join(REPO_ROOT, 'models', 'README.md'), 'utf8'),
  );
  const every = [...new Set([...apiVariables, ...sidecarVariables])];
  const fullEnv = every.map((name) => `${name}=${marker(name)}`).join('\n') + '\n';

  const compose = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(COMPOSE_BIN, ['-f', join(project, 'docker-compose.yml'), ...args], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const normalised = (dotenv: string, env: Record<string, string> = {}): Normalised => {
    writeFileSync(envPath, dotenv);
    const result = compose(['config'], env);
    assert.equal(result.status, 0, `docker-compose config failed:\n${result.stderr}`);
    return parse(result.stdout) as Normalised;
  };

  const config = normalised(fullEnv);
  const { redis, inference, api, cloudflared } = config.services;
  const apiConfig = loadConfig({});

  void it('the tables parse: README.md names the api variables, models/README.md the sidecar ones', () => {
    for (const name of ['PORT', 'REDIS_URL', 'API_KEYS', 'CF_ACCESS_AUD', 'JOB_TIMEOUT_S', 'INFERENCE_TOKEN'])
      assert.ok(apiVariables.includes(name), name);
    for (const name of [
      'KILN_TRELLIS2_PIPELINE_TYPE',
      'KILN_TRELLIS2_SHAPE_STEPS',
      'KILN_TRELLIS2_MIN_VRAM_GB',
    ])
      assert.ok(sidecarVariables.includes(name), name);
    assert.ok(apiVariables.length >= 30, String(apiVariables.length));
    assert.ok(sidecarVariables.length >= 20, String(sidecarVariables.length));
  });

  void it("names every variable the api reads (loadConfig's defaults path) in README.md's table", () => {
    const read = new Set<string>();
    // Records each name loadConfig asks for; every one is unset, so each default is taken.
    const recording: NodeJS.ProcessEnv = new Proxy(
      {},
      {
        get: (target, name) => {
          if (typeof name === 'string') read.add(name);
          return undefined;
        },
      },
    );
    loadConfig(recording);
    assert.ok(read.has('MAX_QUEUE') && read.size >= 40, [...read].join(', '));
    assert.deepEqual(
      [...read].filter((name) => !apiVariables.includes(name)),
      [],
      'read by the api but not in README.md',
    );
  });

  void it('is valid, also with the tunnel profile, and has exactly the four services', () => {
    writeFileSync(envPath, fullEnv);
    for (const args of [
      ['config', '-q'],
      ['--profile', 'tunnel', 'config', '-q'],
    ]) {
      const result = compose(args);
      assert.equal(result.status, 0, result.stderr);
    }
    assert.deepEqual(Object.keys(config.services).sort(), ['api', 'cloudflared', 'inference', 'redis']);
  });

  void it("every variable of README.md's table reaches the api, with .env's value unless the container needs its own", () => {
    const env = api.environment ?? {};
    for (const name of apiVariables) {
      assert.equal(env[name], API_PINNED[name] ?? marker(name), name);
    }
    // PORT moves the port published on this machine; inside, the api listens where its health check asks.
    assert.deepEqual(api.ports, [`127.0.0.1:${marker('PORT')}:${apiConfig.port}/tcp`]);
  });

  void it('every KILN_* variable of models/README.md reaches the sidecar, and is a setting it has (settings.py)', () => {
    const env = inference.environment ?? {};
    for (const name of sidecarVariables) {
      assert.equal(env[name], INFERENCE_PINNED[name] ?? marker(name), name);
    }
    const settings = readFileSync(SETTINGS_PY, 'utf8');
    const field = (name: string): RegExp => new RegExp(`^\\s+${name}: `, 'm');
    for (const variable of new Set([...sidecarVariables, ...Object.keys(INFERENCE_PINNED)])) {
      const name = variable.slice('KILN_'.length).toLowerCase();
      const known = name.startsWith('trellis2_') ? field(name.slice('trellis2_'.length)) : field(name);
      assert.match(settings, known, `${variable} is not a sidecar setting`);
    }
  });

  void it("the sidecar gets its own settings only: none of the api's keys and tokens (it runs model code)", () => {
    const allowed = new Set([...sidecarVariables, ...Object.keys(INFERENCE_PINNED), 'HF_TOKEN']);
    const names = Object.keys(inference.environment ?? {});
    assert.deepEqual(
      names.filter((name) => !allowed.has(name)),
      [],
      'variables of .env the sidecar does not need',
    );
    for (const secret of [
      'API_KEYS',
      'ADMIN_TOKEN',
      'METRICS_TOKEN',
      'TUNNEL_TOKEN',
      'INFERENCE_TOKEN',
      'CF_ACCESS_AUD',
    ])
      assert.ok(!names.includes(secret), secret);
    // A setting .env leaves out arrives empty, which the sidecar reads as its default (settings.py env_ignore_empty).
    const bare = normalised('INFERENCE_TOKEN=t\nPUBLIC_BASE_URL=http://127.0.0.1:8000\n').services.inference;
    assert.equal(bare.environment?.KILN_TRELLIS2_PIPELINE_TYPE, '');
    assert.match(readFileSync(SETTINGS_PY, 'utf8'), /env_ignore_empty=True/);
  });

  void it('the shared secret: both sides get the one INFERENCE_TOKEN; without it (unset or empty) compose refuses to start', () => {
    assert.equal(api.environment?.INFERENCE_TOKEN, marker('INFERENCE_TOKEN'));
    assert.equal(inference.environment?.KILN_INFERENCE_TOKEN, marker('INFERENCE_TOKEN'));
    for (const dotenv of ['PORT=8000\n', 'INFERENCE_TOKEN=\n']) {
      writeFileSync(envPath, dotenv);
      const result = compose(['config', '-q']);
      assert.notEqual(result.status, 0, dotenv);
      assert.match(result.stderr, /set INFERENCE_TOKEN in \.env/);
    }
    // .env is required: it is where the secret and the settings live.
    rmSync(envPath);
    const result = compose(['config', '-q'], { INFERENCE_TOKEN: 'from-the-shell' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /\.env/);
  });

  void it("forwarding headers are believed from cloudflared's fixed address only, so PUBLIC_BASE_URL is required", () => {
    const address = cloudflared.networks?.default?.ipv4_address ?? '';
    const subnet = config.networks?.default?.ipam?.config?.[0]?.subnet ?? '';
    assert.match(subnet, /^10\.\d+\.\d+\.0\/24$/, "a fixed subnet outside Docker's default pools");
    assert.equal(address.split('.').slice(0, 3).join('.'), subnet.split('.').slice(0, 3).join('.'));
    // .env without TRUST_PROXY: the default names cloudflared, and no one else.
    const defaults = normalised(
      `INFERENCE_TOKEN=${marker('INFERENCE_TOKEN')}\nPUBLIC_BASE_URL=https://3d.example.com\n`,
    );
    assert.equal(defaults.services.api.environment?.TRUST_PROXY, address);
    const apiEnv = defaults.services.api.environment ?? {};
    assert.equal(loadConfig(apiEnv, '/app').trustProxy.join(','), address, 'the api accepts it');
    assert.throws(
      () => loadConfig({ ...apiEnv, PUBLIC_BASE_URL: '' }, '/app'),
      /PUBLIC_BASE_URL is required/,
    );
    // ... and compose says so before anything starts.
    writeFileSync(envPath, `INFERENCE_TOKEN=${marker('INFERENCE_TOKEN')}\n`);
    const result = compose(['config', '-q']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /set PUBLIC_BASE_URL in \.env/);
  });

  void it("the api listens on every interface of its container, published on the host's loopback only", () => {
    assert.equal(api.environment?.HOST, '0.0.0.0');
    assert.deepEqual(api.ports, [`127.0.0.1:${marker('PORT')}:${apiConfig.port}/tcp`]);
  });

  void it('the services share no folder and no volume: the model comes back over gRPC', () => {
    const sources = (service: Service): string[] =>
      (service.volumes ?? []).map((volume) => volume.split(':')[0]);
    const names = Object.keys(config.services);
    for (const [i, a] of names.entries()) {
      for (const b of names.slice(i + 1)) {
        const shared = sources(config.services[a]).filter((source) =>
          sources(config.services[b]).includes(source),
        );
        assert.deepEqual(shared, [], `${a} and ${b} share ${shared.join(', ')}`);
      }
    }
    assert.deepEqual(inference.volumes, [
      `${join(project, 'models')}:/app/models:ro`,
      'inference-cache:/app/cache:rw',
    ]);
    assert.deepEqual(api.volumes, [
      `${join(project, 'static')}:${API_PINNED.STATIC_DIR}:rw`,
      `${join(project, 'logs')}:${API_PINNED.LOG_DIR}:rw`,
    ]);
  });

  void it('every service restarts unless stopped and has a health check', () => {
    for (const [name, service] of Object.entries(config.services)) {
      assert.equal(service.restart, 'unless-stopped', name);
      assert.equal(service.healthcheck?.test[0], 'CMD', name);
    }
    // cloudflared's asks its own metrics server, which must listen where the check looks.
    const metrics = cloudflared.environment?.TUNNEL_METRICS;
    assert.equal(metrics, '127.0.0.1:60123');
    assert.deepEqual(cloudflared.healthcheck?.test, [
      'CMD',
      'cloudflared',
      'tunnel',
      '--metrics',
      metrics,
      'ready',
    ]);
  });

  void it('redis persists to an append-only file in a named volume, and leaves port 6379 of the host to a host Redis', () => {
    const command = redis.command ?? [];
    assert.equal(command[command.indexOf('--appendonly') + 1], 'yes');
    // Bounded (the api refuses new tasks at 90 % of it), never evicting Bull's keys.
    assert.equal(command[command.indexOf('--maxmemory') + 1], '1gb');
    assert.equal(command[command.indexOf('--maxmemory-policy') + 1], 'noeviction');
    assert.ok(redis.volumes?.includes('redis-data:/data:rw'), String(redis.volumes));
    assert.ok('redis-data' in config.volumes);
    assert.deepEqual(redis.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
    for (const port of redis.ports ?? []) {
      const [host, published] = port.split(':');
      assert.equal(host, '127.0.0.1', port);
      assert.notEqual(published, '6379', port);
    }
  });

  void it('the inference service: inference/Dockerfile, the GPU, models read-only, listening where the api dials', () => {
    assert.equal(inference.build?.context, project);
    assert.equal(inference.build?.dockerfile, 'inference/Dockerfile');
    assert.ok(existsSync(join(REPO_ROOT, 'inference', 'Dockerfile')));
    const env = inference.environment ?? {};
    const devices = inference.deploy?.resources.reservations.devices ?? [];
    assert.deepEqual(devices, [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
    // The api dials the service by name on the port the sidecar listens on.
    assert.equal(api.environment?.INFERENCE_URL, `inference:${env.KILN_LISTEN.split(':')[1]}`);
    assert.deepEqual(inference.expose, ['50051']);
  });

  void it('the inference service agrees with its image: weights and cache paths, the venv Python first on PATH', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'inference', 'Dockerfile'), 'utf8');
    const imageEnv = (name: string): string | undefined =>
      dockerfile.match(new RegExp(`\\b${name}=(\\S+)`))?.[1];
    const env = inference.environment ?? {};
    assert.equal(env.KILN_MODELS_DIR, imageEnv('KILN_MODELS_DIR'));
    assert.equal(env.KILN_CACHE_DIR, imageEnv('KILN_CACHE_DIR'));
    assert.ok('inference-cache' in config.volumes);
    // The health check's `python3` must be the venv's, which has kiln3d_inference installed.
    assert.match(imageEnv('PATH') ?? '', /^\/app\/inference\/\.venv\/bin:/);
  });

  void it("the sidecar's health check is its own gRPC Health, by a module that exists, on its port", () => {
    const test = inference.healthcheck?.test ?? [];
    assert.deepEqual(test.slice(0, 4), ['CMD', 'python3', '-m', 'kiln3d_inference.healthcheck']);
    assert.ok(existsSync(join(REPO_ROOT, 'inference', 'kiln3d_inference', 'healthcheck.py')));
    assert.equal(test[4], '127.0.0.1:50051');
    // TRELLIS.2 loads and warms up for minutes: as long as the api waits (INFERENCE_READY_TIMEOUT_S).
    assert.equal(inference.healthcheck?.start_period, `${apiConfig.inferenceReadyTimeoutS / 60}m`);
  });

  void it('the api: the root Dockerfile (WORKDIR /app, where its pinned folders are), Redis and the sidecar by service name', () => {
    assert.equal(api.build?.context, project);
    assert.equal(api.build?.dockerfile, undefined);
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^WORKDIR \/app$/m);
    assert.deepEqual(api.depends_on, {
      redis: { condition: 'service_healthy' },
      inference: { condition: 'service_started' },
    });
    assert.equal(API_PINNED.PORT, String(apiConfig.port));
    const probe = (api.healthcheck?.test ?? []).join(' ');
    assert.match(probe, new RegExp(`http://127\\.0\\.0\\.1:${apiConfig.port}/api/health`));
  });

  void it('cloudflared runs only under the tunnel profile, with the token from .env', () => {
    assert.deepEqual(cloudflared.profiles, ['tunnel']);
    assert.deepEqual(cloudflared.command, ['tunnel', '--no-autoupdate', 'run']);
    const withToken = normalised(`${fullEnv}TUNNEL_TOKEN=eyJ0ZXN0Ijp0cnVlfQ\n`);
    assert.equal(withToken.services.cloudflared.environment?.TUNNEL_TOKEN, 'eyJ0ZXN0Ijp0cnVlfQ');
    // No service publishes a port beyond this machine: the tunnel is the way in.
    for (const service of Object.values(config.services)) {
      for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:/);
    }
  });
});
