import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { REPO_ROOT, tempDir } from '../support/env';

/**
 * docker-compose.yml as Debian's docker-compose (v1.29) normalises it: `docker-compose config`
 * validates the file against the Compose schema and interpolates the environment, with no
 * daemon. npm test installs the package as root (scripts/lib/ensure.mjs ensureDockerCompose);
 * KILN_DOCKER_COMPOSE names another binary.
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
  deploy?: {
    resources: { reservations: { devices: { driver: string; count: number; capabilities: string[] }[] } };
  };
}

interface Normalised {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

void describe('docker-compose.yml (docker-compose config, no daemon)', { skip: missing }, () => {
  const dir = tempDir('compose');
  after(() => dir.remove());
  // An empty env file: a developer's .env beside the compose file must not change what is checked.
  const envFile = join(dir.path, 'empty.env');
  writeFileSync(envFile, '');

  const compose = (args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(COMPOSE_BIN, ['-f', COMPOSE_FILE, '--env-file', envFile, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir.path, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 0, `docker-compose ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };
  const normalised = (env: Record<string, string> = {}): Normalised =>
    parse(compose(['config'], env)) as Normalised;

  const config = normalised();
  const { redis, inference, api, cloudflared } = config.services;
  const apiConfig = loadConfig({});

  void it('is valid, also with the tunnel profile, and has exactly the four services', () => {
    compose(['config', '-q']);
    compose(['--profile', 'tunnel', 'config', '-q']);
    assert.deepEqual(Object.keys(config.services).sort(), ['api', 'cloudflared', 'inference', 'redis']);
  });

  void it('every service restarts unless stopped; all but cloudflared have a health check', () => {
    for (const [name, service] of Object.entries(config.services)) {
      assert.equal(service.restart, 'unless-stopped', name);
    }
    for (const service of [redis, inference, api]) assert.equal(service.healthcheck?.test[0], 'CMD');
  });

  void it('redis persists to an append-only file in a named volume, checked with redis-cli ping', () => {
    const command = redis.command ?? [];
    assert.equal(command[command.indexOf('--appendonly') + 1], 'yes');
    assert.ok(redis.volumes?.includes('redis-data:/data:rw'), String(redis.volumes));
    assert.ok('redis-data' in config.volumes);
    assert.deepEqual(redis.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
  });

  void it('the inference service: inference/Dockerfile, the GPU, models read-only, listening where the api dials', () => {
    assert.equal(inference.build?.context, REPO_ROOT);
    assert.equal(inference.build?.dockerfile, 'inference/Dockerfile');
    const env = inference.environment ?? {};
    assert.equal(env.KILN_LISTEN, '0.0.0.0:50051');
    assert.ok(
      inference.volumes?.includes(`${join(REPO_ROOT, 'models')}:${env.KILN_MODELS_DIR}:ro`),
      String(inference.volumes),
    );
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
    // The autotune cache and derived config outlive the container: a named volume, not the image layer.
    assert.ok(
      inference.volumes?.includes(`inference-cache:${env.KILN_CACHE_DIR}:rw`),
      String(inference.volumes),
    );
    assert.ok('inference-cache' in config.volumes);
    // The health check's `python3` must be the venv's, which has kiln3d_inference installed.
    assert.match(imageEnv('PATH') ?? '', /^\/app\/inference\/\.venv\/bin:/);
  });

  void it("the inference service's KILN_* variables are settings the sidecar has (settings.py)", () => {
    const settings = readFileSync(SETTINGS_PY, 'utf8');
    const field = (name: string): RegExp => new RegExp(`^\\s+${name}: `, 'm');
    for (const variable of Object.keys(inference.environment ?? {}).filter((v) => v.startsWith('KILN_'))) {
      const name = variable.slice('KILN_'.length).toLowerCase();
      const known = name.startsWith('trellis2_') ? field(name.slice('trellis2_'.length)) : field(name);
      assert.match(settings, known, `${variable} is not a sidecar setting`);
    }
  });

  void it("the sidecar's health check is its own gRPC Health, by a module that exists, on its port", () => {
    const test = inference.healthcheck?.test ?? [];
    assert.deepEqual(test.slice(0, 4), ['CMD', 'python3', '-m', 'kiln3d_inference.healthcheck']);
    assert.ok(existsSync(join(REPO_ROOT, 'inference', 'kiln3d_inference', 'healthcheck.py')));
    assert.equal(test[4], '127.0.0.1:50051');
    // TRELLIS.2 loads and warms up for minutes: as long as the api waits (INFERENCE_READY_TIMEOUT_S).
    assert.equal(inference.healthcheck?.start_period, `${apiConfig.inferenceReadyTimeoutS / 60}m`);
  });

  void it('the api: the root Dockerfile, Redis and the sidecar by service name, static/ and logs/ as volumes', () => {
    assert.equal(api.build?.context, REPO_ROOT);
    assert.equal(api.build?.dockerfile, undefined);
    assert.equal(existsSync(join(REPO_ROOT, 'Dockerfile')), true);
    const env = api.environment ?? {};
    assert.equal(env.REDIS_URL, 'redis://redis:6379');
    assert.deepEqual(api.depends_on, {
      redis: { condition: 'service_healthy' },
      inference: { condition: 'service_started' },
    });
    assert.deepEqual(api.ports, [`127.0.0.1:${apiConfig.port}:${apiConfig.port}/tcp`]);
    assert.deepEqual(api.volumes, [
      `${join(REPO_ROOT, 'static')}:${env.STATIC_DIR}:rw`,
      `${join(REPO_ROOT, 'logs')}:${env.LOG_DIR}:rw`,
    ]);
    const probe = (api.healthcheck?.test ?? []).join(' ');
    assert.match(probe, new RegExp(`http://127\\.0\\.0\\.1:${apiConfig.port}/api/health`));
  });

  void it('models/ is mounted read-only wherever it is mounted', () => {
    for (const [name, service] of Object.entries(config.services)) {
      for (const volume of service.volumes ?? []) {
        if (volume.startsWith(`${join(REPO_ROOT, 'models')}:`)) assert.match(volume, /:ro$/, name);
      }
    }
  });

  void it('cloudflared runs only under the tunnel profile, with the token from the environment', () => {
    assert.deepEqual(cloudflared.profiles, ['tunnel']);
    assert.deepEqual(cloudflared.command, ['tunnel', '--no-autoupdate', 'run']);
    assert.equal(cloudflared.environment?.TUNNEL_TOKEN, '');
    const withToken = normalised({ TUNNEL_TOKEN: 'eyJ0ZXN0Ijp0cnVlfQ' });
    assert.equal(withToken.services.cloudflared.environment?.TUNNEL_TOKEN, 'eyJ0ZXN0Ijp0cnVlfQ');
    // No service publishes a port beyond this machine: the tunnel is the way in.
    for (const service of Object.values(config.services)) {
      for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:/);
    }
  });
});
