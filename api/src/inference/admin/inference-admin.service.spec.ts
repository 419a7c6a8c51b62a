import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../common/api-error';
import type { InferenceHealth, InferenceRepository } from '../inference.repository';
import { InferenceAdminService } from './inference-admin.service';

/** A repository whose health is `health` and whose restarts are counted. */
function repository(health: Partial<InferenceHealth>): { repo: InferenceRepository; restarts: boolean[] } {
  const restarts: boolean[] = [];
  const repo = {
    health: () =>
      Promise.resolve({ state: 'ready', managed: true, pid: 7, ...health } as InferenceHealth),
    restart: ({ force }: { force: boolean }) => {
      restarts.push(force);
      return Promise.resolve();
    },
  } as unknown as InferenceRepository;
  return { repo, restarts };
}

void describe('InferenceAdminService.restart', () => {
  void it('refuses a remote sidecar with 409 sidecar_not_managed, and restarts nothing', async () => {
    const { repo, restarts } = repository({ managed: false });
    await assert.rejects(
      new InferenceAdminService(repo).restart(false),
      (error: unknown) => error instanceof ApiError && error.status === 409 && error.code === 'sidecar_not_managed',
    );
    assert.deepEqual(restarts, []);
  });

  void it('refuses a stopped sidecar with 503 sidecar_stopped', async () => {
    const { repo, restarts } = repository({ state: 'down' });
    await assert.rejects(
      new InferenceAdminService(repo).restart(true),
      (error: unknown) =>
        error instanceof ApiError &&
        error.status === 503 &&
        error.code === 'sidecar_stopped' &&
        error.message === 'The inference sidecar is stopped',
    );
    assert.deepEqual(restarts, []);
  });

  void it('starts a restart of a managed, running sidecar', async () => {
    const { repo, restarts } = repository({});
    const answer = await new InferenceAdminService(repo).restart(true);
    assert.deepEqual([answer.success, answer.force, answer.previous_pid], [true, true, 7]);
    assert.deepEqual(restarts, [true]);
  });
});
