import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, beforeEach } from 'node:test';
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
import { TaskLifecycle } from '../../src/tasks/lifecycle/task-lifecycle.service';
import { TaskQueueService } from '../../src/tasks/queue/task-queue.service';
import type { TaskOptionsRecord, TaskRecord, TaskState } from '../../src/tasks/state/task-snapshot';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { GenerationWorkerModule } from '../../src/tasks/run/generation-worker.module';
import { TasksModule } from '../../src/tasks/tasks.module';
import { clearKilnKeys } from './env';
import { type FakeInference, fakeInferenceModule, succeed } from './fake-inference';

/**
 * Stands in for the real optimiser (its own tests: glb-optimizer.spec, test/glb): the fake
 * sidecar's bytes are no GLB, and the suites using it are about the queue. Writes "web:" + the source,
 * and "lod:" + the source as the LOD.
 */
export class MarkingOptimizer extends GlbOptimizer {
  async optimise(sourcePath: string, targetPath: string, lodPath?: string): Promise<GlbOptimisationStats> {
    const source = await readFile(sourcePath);
    await writeFile(targetPath, Buffer.concat([Buffer.from('web:'), source]));
    if (lodPath !== undefined) await writeFile(lodPath, Buffer.concat([Buffer.from('lod:'), source]));
    const lodBytes = lodPath !== undefined ? source.length + 4 : 0;
    return {
      sourceBytes: source.length,
      webBytes: source.length + 4,
      lodBytes,
      textures: 0,
      seconds: 0,
      notes: [],
    };
  }
}

export interface TasksHarness {
  moduleRef: TestingModule;
  admission: AdmissionService;
  queue: TaskQueueService;
  lifecycle: TaskLifecycle;
  tasks: TaskStore;
  events: TaskEventsService;
  bull: Queue;
  /** The task's terminal record, once it has one. */
  finalOf(id: string): Promise<TaskRecord>;
  /** TaskLifecycle.create, keeping the task's token for cancel(); with a mesh, a texturing task. */
  create(id: string, image: Buffer, options?: TaskOptionsRecord, mesh?: Buffer): Promise<TaskState>;
  /** TaskLifecycle.cancel with the token create() kept (as the task's maker would). */
  cancel(id: string): Promise<TaskState>;
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
  const lifecycle = moduleRef.get(TaskLifecycle);
  const tokens = new Map<string, string>();
  return {
    moduleRef,
    admission: moduleRef.get(AdmissionService),
    queue: moduleRef.get(TaskQueueService),
    lifecycle,
    tasks: moduleRef.get(TaskStore),
    events,
    bull: moduleRef.get<Queue>(getQueueToken(GENERATION_QUEUE)),
    finalOf: async (id) => {
      const state = await events.waitForTerminal(id);
      assert.ok(state);
      return state.record;
    },
    create: async (id, image, options, mesh) => {
      const { state, token } = await lifecycle.create(id, image, options, [], mesh);
      tokens.set(id, token);
      return state;
    },
    cancel: (id) => lifecycle.cancel(id, tokens.get(id)),
  };
}

/**
 * Registers node:test hooks for the enclosing describe around startTasksHarness(config, fake,
 * reservationGraceMs): `before` starts it, `beforeEach` empties fake.calls and makes every job
 * succeed again, `after` closes the module and clears the kiln keys. Returns a TasksHarness that
 * reads through to the started one; reading a field before the `before` hook ran throws.
 */
export function useTasksHarness(
  config: AppConfig,
  fake: FakeInference,
  reservationGraceMs?: number,
): TasksHarness {
  let current: TasksHarness | undefined;
  const running = (): TasksHarness => {
    if (!current) throw new Error('useTasksHarness: the harness has not started (read it inside a test)');
    return current;
  };
  before(async () => {
    current = await startTasksHarness(config, fake, reservationGraceMs);
  });
  beforeEach(() => {
    fake.calls.length = 0;
    fake.behaviour = (job, onProgress) => succeed(job, onProgress);
  });
  after(async () => {
    await current?.moduleRef.close();
    await clearKilnKeys();
  });
  return {
    get moduleRef() {
      return running().moduleRef;
    },
    get admission() {
      return running().admission;
    },
    get queue() {
      return running().queue;
    },
    get lifecycle() {
      return running().lifecycle;
    },
    get tasks() {
      return running().tasks;
    },
    get events() {
      return running().events;
    },
    get bull() {
      return running().bull;
    },
    finalOf: (id) => running().finalOf(id),
    create: (id, image, options, mesh) => running().create(id, image, options, mesh),
    cancel: (id) => running().cancel(id),
  };
}
