import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSidecarFault } from './worker-registry.service';

void describe("a worker's last error (the ops console)", () => {
  void it('a failed sidecar, a crash or a hung sidecar killed is a fault', () => {
    assert.equal(isSidecarFault('failed', 'CUDA is not available'), true);
    assert.equal(isSidecarFault('restarting', 'sidecar exited with code 1; restarting in 2 s'), true);
    assert.equal(isSidecarFault('restarting', 'health check timed out'), true);
  });

  void it('routine starts and stops, and a working sidecar, are not', () => {
    for (const [state, message] of [
      ['down', 'not started'],
      ['restarting', 'restart requested'],
      ['restarting', 'forced restart requested'],
      ['restarting', 'planned recycle'],
      ['down', 'stopped'],
      ['ready', 'ready'],
      ['busy', 'running a job'],
      ['failed', ''],
    ] as const)
      assert.equal(isSidecarFault(state, message), false, `${state}: ${message}`);
  });
});
