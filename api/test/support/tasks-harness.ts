import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { getQueueToken } from '@nestjs/bull';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Queue } from 'bull';
import type { AppConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { type GlbOptimisationStats, GlbOptimizer } from '../../src/glb/glb-optimizer';
import { RedisModule } from '../../src/redis/redis.module';
import { AdmissionService, RESERVATION_GRACE } from '../../src/tasks/admission/admission.service';
import { TaskEventsService } from '../../src/tasks/events/task-events.service';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { TaskQueueService } from '../../src/tasks/queue/task-queue.service';
import type { TaskRecord } from '../../src/tasks/state/task-snapshot';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { GenerationWorkerModule } from '../../src/tasks/queue/generation-worker.module';
import { TasksModule } from '../../src/tasks/tasks.module';
import { clearKilnKeys } from './env';
import { type FakeInference, fakeInferenceModule } from './fake-inference';

/**
 * Stands in for the real optimiser (its own tests: glb-optimizer.spec, test/glb): the fake
 * sidecar's bytes are no GLB, and the suites using it are about the queue. Writes "web:" + the source.
 */
export class MarkingOptimizer extends GlbOptimizer {
  async optimise(sourcePath: string, targetPath: string): Promise<GlbOptimisationStats> {
    const source = await readFile(sourcePath);
    await writeFile(targetPath, Buffer.concat([Buffer.from('web:'), source]));
    return { sourceBytes: source.length, webBytes: source.length + 4, textures: 0, seconds: 0, notes: [] };
  }
}

export interface TasksHarness {
  moduleRef: TestingModule;
  admission: AdmissionService;
  queue: TaskQueueService;
  tasks: TaskStore;
  events: TaskEventsService;
  bull: Queue;
  /** The task's terminal record, once it has one. */
  finalOf(id: string): Promise<TaskRecord>;
}

/**
 * The tasks domain (admission, Bull queue and processor, runner, store, events) on the real Redis
 * and Bull of `config`, with a fake sidecar and `optimizer` (default MarkingOptimizer); the kiln
 * keys are cleared first. reservationGraceMs shortens the admission reconcile's grace (production: 60 s).
 */
export async function startTasksHarness(
  config: AppConfig,
  fake: FakeInference,
  reservationGraceMs?: number,
  optimizer: GlbOptimizer = new MarkingOptimizer(),
): Promise<TasksHarness> {
  await clearKilnKeys();
  let builder = Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      RedisModule,
      fakeInferenceModule(fake),
      TasksModule,
      GenerationWorkerModule,
    ],
  })
    .overrideProvider(GlbOptimizer)
    .useValue(optimizer);
  if (reservationGraceMs !== undefined) {
    builder = builder.overrideProvider(RESERVATION_GRACE).useValue(reservationGraceMs);
  }
  const moduleRef = await builder.compile();
  moduleRef.enableShutdownHooks();
  await moduleRef.init();
  const events = moduleRef.get(TaskEventsService);
  return {
    moduleRef,
    admission: moduleRef.get(AdmissionService),
    queue: moduleRef.get(TaskQueueService),
    tasks: moduleRef.get(TaskStore),
    events,
    bull: moduleRef.get<Queue>(getQueueToken(GENERATION_QUEUE)),
    finalOf: async (id) => {
      const state = await events.waitForTerminal(id);
      assert.ok(state);
      return state.record;
    },
  };
}
