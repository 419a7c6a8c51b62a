import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { getQueueToken } from '@nestjs/bull';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Queue } from 'bull';
import { type AppConfig, loadConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { RedisModule } from '../../src/redis/redis.module';
import { GENERATION_QUEUE } from '../../src/tasks/queue/job-names';
import { TasksModule } from '../../src/tasks/tasks.module';
import { TEST_REDIS_URL, clearKilnKeys, tempDir } from './env';

/**
 * The task domain alone (TasksModule on the test Redis and a real Bull queue; no worker runs a
 * job), for the lifecycle's medium tests. Registers node:test hooks for the enclosing describe:
 * `before` clears the kiln keys and starts the module on a fresh temporary STATIC_DIR, then hands
 * it to `started` (for the test's own `moduleRef.get` of what it drives); `beforeEach` empties the
 * queue and clears the keys; `after` closes the module, clears the keys and removes the folder.
 * Returns the module's config (read it anywhere: it is made now).
 */
export function useTasksModule(prefix: string, started: (moduleRef: TestingModule) => void): AppConfig {
  const dir = tempDir(prefix);
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, STATIC_DIR: join(dir.path, 'static') }, dir.path);
  let moduleRef: TestingModule | undefined;
  let bull: Queue | undefined;
  before(async () => {
    mkdirSync(config.staticDir, { recursive: true });
    await clearKilnKeys();
    moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), RedisModule, TasksModule],
    }).compile();
    await moduleRef.init();
    bull = moduleRef.get<Queue>(getQueueToken(GENERATION_QUEUE));
    started(moduleRef);
  });
  beforeEach(async () => {
    await bull?.empty();
    await clearKilnKeys();
  });
  after(async () => {
    await moduleRef?.close();
    await clearKilnKeys();
    dir.remove();
  });
  return config;
}
