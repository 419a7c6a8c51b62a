import { writeFile } from 'node:fs/promises';
import { Global, Module } from '@nestjs/common';
import {
  InferenceError,
  type InferenceHealth,
  type InferenceJob,
  type InferenceProgress,
  InferenceRepository,
  type InferenceResult,
} from '../../src/inference/inference.repository';

export type FakeBehaviour = (
  job: InferenceJob,
  onProgress: (p: InferenceProgress) => void,
  signal: AbortSignal | undefined,
) => Promise<InferenceResult>;

/** Test double of the sidecar: records calls; each job follows `behaviour` (default: quick success). */
export class FakeInference extends InferenceRepository {
  readonly calls: string[] = [];
  behaviour: FakeBehaviour = (job, onProgress) => succeed(job, onProgress);
  /** What health() reports as the sidecar's state (a test may show it still loading). */
  state: InferenceHealth['state'] = 'ready';

  generate(
    job: InferenceJob,
    onProgress: (p: InferenceProgress) => void,
    signal?: AbortSignal,
  ): Promise<InferenceResult> {
    this.calls.push(job.taskId);
    return this.behaviour(job, onProgress, signal);
  }

  health(): Promise<InferenceHealth> {
    return Promise.resolve({
      state: this.state,
      engine: 'fake',
      device: 'cpu',
      vramUsedBytes: 0,
      vramTotalBytes: 0,
      jobsDone: this.calls.length,
      texturing: '',
      unusedGenerationOptions: [],
      unusedTextureOptions: [],
      message: 'fake',
      managed: false,
      pid: null,
      restarts: 0,
    });
  }

  waitUntilReady(_timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new InferenceError('CANCELLED', 'aborted'));
    return Promise.resolve();
  }

  restart(): Promise<void> {
    return Promise.resolve();
  }
}

export async function succeed(
  job: InferenceJob,
  onProgress: (p: InferenceProgress) => void,
): Promise<InferenceResult> {
  onProgress({ stage: 'structure', percent: 10, message: '' });
  onProgress({ stage: 'geometry', percent: 50, message: '' });
  onProgress({ stage: 'export', percent: 95, message: '' });
  const bytes = Buffer.from(`glTF fake model of ${job.taskId}`);
  await writeFile(job.modelPath, bytes);
  return { triangles: 12, bytes: bytes.length, seconds: 0.01, engine: 'fake' };
}

/** A job that runs until release() or until its signal aborts (then CANCELLED, as the real client does). */
export function heldJob(): { behaviour: FakeBehaviour; release: () => void; started: Promise<string> } {
  let release: () => void = () => undefined;
  let markStarted: (taskId: string) => void = () => undefined;
  const started = new Promise<string>((r) => (markStarted = r));
  const behaviour: FakeBehaviour = (job, onProgress, signal) =>
    new Promise<InferenceResult>((resolve, reject) => {
      markStarted(job.taskId);
      onProgress({ stage: 'preprocess', percent: 2, message: '' });
      signal?.addEventListener('abort', () => reject(new InferenceError('CANCELLED', 'aborted')));
      release = () => void succeed(job, onProgress).then(resolve, reject);
    });
  return { behaviour, release: () => release(), started };
}

export function fakeInferenceModule(fake: FakeInference) {
  @Global()
  @Module({ providers: [{ provide: InferenceRepository, useValue: fake }], exports: [InferenceRepository] })
  class FakeInferenceModule {}
  return FakeInferenceModule;
}
