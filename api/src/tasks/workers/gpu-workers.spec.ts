import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config/app-config';
import { SUPERVISOR_PID_ENV, gpuWorkerPlans } from './gpu-workers';

void describe('GPU worker plans (KILN_GPUS)', () => {
  void it('plans one worker-only process per GPU after the first, pinned and logging apart', () => {
    const config = loadConfig({ KILN_GPUS: '0,1,3', LOG_DIR: '/var/log/kiln' }, '/srv');
    const plans = gpuWorkerPlans(
      config,
      { PATH: '/usr/bin', KILN_GPUS: '0,1,3', REDIS_URL: 'redis://r' },
      4242,
    );
    assert.deepEqual(
      plans.map((p) => p.gpu),
      ['1', '3'],
      "GPU 0 is the supervising process's own",
    );
    for (const plan of plans) {
      assert.equal(plan.env.CUDA_VISIBLE_DEVICES, plan.gpu);
      assert.equal(plan.env.KILN_ROLE, 'worker');
      assert.equal(plan.env.KILN_GPUS, '', 'a worker plans no workers of its own');
      assert.equal(plan.env.LOG_DIR, `/var/log/kiln/gpu-${plan.gpu}`);
      assert.equal(plan.env[SUPERVISOR_PID_ENV], '4242');
      assert.equal(plan.env.REDIS_URL, 'redis://r', 'the rest of the environment is inherited');
    }
  });

  void it('plans nothing without KILN_GPUS or with one GPU', () => {
    assert.deepEqual(gpuWorkerPlans(loadConfig({}), {}, 1), []);
    assert.deepEqual(gpuWorkerPlans(loadConfig({ KILN_GPUS: '2' }), {}, 1), []);
  });
});
