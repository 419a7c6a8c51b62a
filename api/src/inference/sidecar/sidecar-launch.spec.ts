import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../config/app-config';
import { FakeLauncher } from '../../../test/inference/fakes';
import { managedSidecarSpec, sidecarEnvironment } from './sidecar-launch';

const config = loadConfig({ INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '7', MODELS_DIR: '/srv/models' }, '/srv');

void describe('sidecar launch', () => {
  void test("the sidecar's environment: an allowlist of the api's own, config-derived values win, no secret of the api's", () => {
    const secrets = {
      ADMIN_TOKEN: 'admin-secret-0123456789',
      API_KEYS: 'a-very-long-api-key-0123',
      METRICS_TOKEN: 'metrics-secret-0123456789',
      TUNNEL_TOKEN: 'tunnel-secret',
      REDIS_URL: 'redis://:password@127.0.0.1:6379',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
      CF_ACCESS_AUD: 'aud',
      INFERENCE_TOKEN: 'the-api-secret-0123456789',
      NODE_OPTIONS: '--inspect',
    };
    const env = sidecarEnvironment(config, 'unix:///tmp/kiln3d-x/inference.sock', {
      PATH: '/usr/bin',
      KILN_SIMULATE_FAULT: 'hang',
      KILN_ENGINE: 'trellis2',
      KILN_INFERENCE_TOKEN: 'stray-value-in-the-api-env',
      PYTHONPATH: '/opt/fake',
      CUDA_VISIBLE_DEVICES: '1',
      HF_TOKEN: 'hf_read',
      OPENBLAS_CORETYPE: 'Haswell',
      ATTN_BACKEND: 'sdpa',
      TRITON_CACHE_DIR: '/srv/triton',
      FLEX_GEMM_AUTOTUNE_CACHE_PATH: '/srv/flex_gemm.json',
      ...secrets,
    });
    for (const name of Object.keys(secrets)) assert.equal(env[name], undefined, name);
    assert.equal(env.KILN_INFERENCE_TOKEN, '', "the api's own secret (none), not a stray one");
    for (const [name, value] of Object.entries({
      PYTHONPATH: '/opt/fake',
      CUDA_VISIBLE_DEVICES: '1',
      HF_TOKEN: 'hf_read',
      OPENBLAS_CORETYPE: 'Haswell',
      ATTN_BACKEND: 'sdpa',
      // The caches models/README.md says the sidecar keeps in KILN_CACHE_DIR unless they are set.
      TRITON_CACHE_DIR: '/srv/triton',
      FLEX_GEMM_AUTOTUNE_CACHE_PATH: '/srv/flex_gemm.json',
    })) {
      assert.equal(env[name], value, name);
    }
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.KILN_SIMULATE_FAULT, 'hang');
    assert.equal(env.KILN_ENGINE, 'simulate');
    assert.equal(env.KILN_SIMULATE_SECONDS, '7');
    assert.equal(env.KILN_MODELS_DIR, '/srv/models');
    assert.equal(env.KILN_LISTEN, 'unix:///tmp/kiln3d-x/inference.sock');
    assert.equal(env.KILN_PARENT_PID, String(process.pid));
    assert.equal(env.ADMIN_TOKEN, undefined);
  });

  void test("the managed spec: the venv's python, a socket in a private folder of its own, the address it listens on", () => {
    const launcher = new FakeLauncher();
    const spec = managedSidecarSpec(config, launcher);
    try {
      assert.equal(spec.launcher, launcher);
      assert.equal(spec.command, join(config.inferenceDir, '.venv', 'bin', 'python'));
      assert.deepEqual(spec.args, ['-m', 'kiln3d_inference']);
      assert.ok(spec.ownedDir !== undefined && existsSync(spec.ownedDir));
      assert.equal(statSync(spec.ownedDir).mode & 0o077, 0, 'no access for other users');
      assert.equal(spec.socketPath, join(spec.ownedDir, 'inference.sock'));
      assert.equal(dirname(spec.socketPath), spec.ownedDir);
      assert.equal(spec.address, `unix://${spec.socketPath}`);
      assert.equal(spec.env().KILN_LISTEN, spec.address);
    } finally {
      if (spec.ownedDir !== undefined) rmSync(spec.ownedDir, { recursive: true, force: true });
    }
  });
});
