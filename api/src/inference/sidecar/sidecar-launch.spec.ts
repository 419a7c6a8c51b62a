import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../config/app-config';
import { FakeLauncher } from '../../../test/inference/fakes';
import { managedSidecarSpec, sidecarEnvironment } from './sidecar-launch';

const config = loadConfig({ INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '7', MODELS_DIR: '/srv/models' }, '/srv');

void describe('sidecar launch', () => {
  void test("the sidecar's environment: the api's own (KILN_* included), config-derived values win, no admin token", () => {
    const env = sidecarEnvironment(config, 'unix:///tmp/kiln3d-x/inference.sock', {
      PATH: '/usr/bin',
      KILN_SIMULATE_FAULT: 'hang',
      KILN_ENGINE: 'trellis2',
      ADMIN_TOKEN: 'secret',
    });
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
