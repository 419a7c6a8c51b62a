import { randomUUID } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { RedisModule } from '../../src/redis/redis.module';
import { PROGRESS_INTERVAL_MS } from '../../src/tasks/run/task-runner.service';
import { TaskStore } from '../../src/tasks/state/task-store.service';
import { type ApiProcess, startApi } from '../../test/support/api-process';
import { clearKilnKeys, sleep } from '../../test/support/env';
import { parseSseBlock } from '../../test/support/http-client';
import { type BenchLine, type BenchRow, percentile } from '../support/bench-row';
import { cpuMs, rssMb } from '../support/proc';

const P99_GOAL_MS = 50;
/** Tasks made running by hand: no slot or picture to touch. */
const NO_EFFECTS = { releaseSlot: false, dropImage: false };
const RSS_GOAL_MB = 300;
const ROW = 'SSE fan-out';

interface Subscribers {
  /** Resolves once every stream got its first event (the current state). */
  ready: Promise<void>;
  /** Arrival delays (ms) of `processing` events, per publish round tagged by `progress`. */
  delays: number[];
  close(): void;
}

/**
 * Opens `count` SSE streams spread over the tasks (each its own connection) and measures, for
 * every `processing` event, arrival − publish time (publishedAt[task][progress], this clock).
 */
function subscribe(
  api: ApiProcess,
  taskIds: string[],
  count: number,
  publishedAt: Map<string, number>,
): Subscribers {
  const delays: number[] = [];
  const requests: ClientRequest[] = [];
  const firsts: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = taskIds[i % taskIds.length];
    firsts.push(
      new Promise<void>((resolve, reject) => {
        const req = request(
          `${api.url}/api/status/${taskId}`,
          { agent: false, headers: { Accept: 'text/event-stream' } },
          (res) => {
            if (res.statusCode !== 200) reject(new Error(`stream ${taskId}: ${res.statusCode}`));
            res.setEncoding('utf8');
            let buffer = '';
            let first = true;
            res.on('data', (chunk: string) => {
              const at = Date.now();
              buffer += chunk;
              let split: number;
              while ((split = buffer.indexOf('\n\n')) >= 0) {
                const { fields } = parseSseBlock(buffer.slice(0, split));
                buffer = buffer.slice(split + 2);
                if (fields['data'] === undefined) continue;
                resolve();
                // The first event is the current state, sent on connect: no publish to time.
                if (first) {
                  first = false;
                  continue;
                }
                const data = JSON.parse(fields['data']) as { progress?: number };
                const sent = publishedAt.get(`${taskId}:${data.progress}`);
                if (sent !== undefined) delays.push(at - sent);
              }
            });
          },
        );
        req.on('error', (error) => reject(error));
        req.end();
        requests.push(req);
      }),
    );
  }
  return {
    ready: Promise.all(firsts).then(() => undefined),
    delays,
    close: () => requests.forEach((r) => r.destroy()),
  };
}

/**
 * SSE fan-out (issue 13): N concurrent subscribers (1,000; quick: 100) on running tasks, each
 * its own connection to GET /api/status/{id}. The benchmark publishes `processing` updates, one
 * per task every PROGRESS_INTERVAL_MS (the most the api sends), through the product's own TaskStore (the Lua script that bumps the event id and publishes on
 * Redis); the api fans each out to its streams. Figure: publish → arrival p99 and the api's
 * RSS; baseline: the same with one subscriber, and the api's RSS before any stream opened.
 * Arrival is stamped by this process, which also parses every stream (its own delay is included).
 */
export const row: BenchRow = {
  name: 'sse-fanout',
  order: 30,
  async run(context) {
    const subscribersWanted = context.quick ? 100 : 1000;
    const taskCount = context.quick ? 4 : 10;
    const rounds = context.quick ? 15 : 40;
    await clearKilnKeys(context.redisUrl);
    const config = loadConfig({ REDIS_URL: context.redisUrl }, '/tmp');
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), RedisModule],
      providers: [Clock, TaskStore],
    }).compile();
    await moduleRef.init();
    const store = moduleRef.get(TaskStore);
    const api = await startApi({
      staticDir: join(context.workDir, 'static'),
      logDir: join(context.workDir, 'logs'),
      // 1,000 streams from one address: the per-client stream and read limits are off here.
      env: {
        REDIS_URL: context.redisUrl,
        SSE_HEARTBEAT_S: '15',
        SSE_STREAMS_PER_CLIENT: '0',
        READS_PER_MINUTE: '0',
      },
    });
    try {
      // Running tasks with no Bull job: only this benchmark changes them.
      const taskIds = Array.from({ length: taskCount }, () => randomUUID());
      for (const id of taskIds) {
        await store.create(id, Buffer.from('-'), 'a'.repeat(64));
        await store.transition(
          id,
          ['queued'],
          { status: 'processing', progress: 0, stage: 'preprocess' },
          NO_EFFECTS,
        );
      }
      const publishedAt = new Map<string, number>();
      const publishRounds = async (first: number): Promise<void> => {
        for (let round = first; round < first + rounds; round++) {
          for (const id of taskIds) {
            publishedAt.set(`${id}:${round}`, Date.now());
            await store.update(id, { progress: round, stage: 'geometry' }, ['processing']);
          }
          // The api publishes a task's progress at most this often (ProgressPublisher).
          await sleep(PROGRESS_INTERVAL_MS);
        }
        await sleep(500);
      };

      const pid = api.child.pid ?? 0;
      const idleRss = rssMb(pid);
      const single = subscribe(api, taskIds.slice(0, 1), 1, publishedAt);
      await single.ready;
      const singleCpuFrom = cpuMs(pid);
      await publishRounds(1);
      const singleCpuMs = cpuMs(pid) - singleCpuFrom;
      single.close();
      const baselineP99 = percentile(single.delays, 99);
      context.log(`1 subscriber: p99 ${baselineP99} ms over ${single.delays.length} events`);

      const many = subscribe(api, taskIds, subscribersWanted, publishedAt);
      await many.ready;
      let peakRss = rssMb(pid);
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(pid))), 100);
      const manyCpuFrom = cpuMs(pid);
      await publishRounds(1 + rounds);
      const manyCpuMs = cpuMs(pid) - manyCpuFrom;
      clearInterval(sampler);
      many.close();
      const expected = rounds * subscribersWanted;
      const p99 = percentile(many.delays, 99);
      context.log(
        `${subscribersWanted} subscribers: p99 ${p99} ms, ${many.delays.length} of ${expected} events`,
      );
      // CPU per publish round (every task's update once): what the api spends whatever else the
      // machine runs, where the latency above also counts the waits for a busy core.
      const singleRoundCpu = singleCpuMs / rounds;
      const manyRoundCpu = manyCpuMs / rounds;
      context.log(
        `api CPU per round: ${manyRoundCpu.toFixed(1)} ms with ${subscribersWanted} streams, ` +
          `${singleRoundCpu.toFixed(1)} ms with one`,
      );
      if (many.delays.length !== expected) {
        throw new Error(`${many.delays.length} deliveries timed where ${expected} were published`);
      }
      const lines: BenchLine[] = [
        {
          row: ROW,
          figure: `p99 publish → arrival, ${subscribersWanted} streams`,
          value: p99,
          unit: 'ms',
          baseline: { label: 'one stream', value: baselineP99 },
          ratio: p99 / Math.max(baselineP99, 1),
          goal: `≤ ${P99_GOAL_MS} ms`,
          met: p99 <= P99_GOAL_MS,
          note:
            `${taskCount} running tasks, ${rounds} updates each, one per ${PROGRESS_INTERVAL_MS} ms, through TaskStore (Redis pub/sub), ` +
            `${many.delays.length} deliveries; median ${percentile(many.delays, 50)} ms; ratio floor 1 ms`,
        },
        {
          row: ROW,
          figure: `api CPU per round, ${subscribersWanted} streams`,
          value: manyRoundCpu,
          unit: 'ms',
          baseline: { label: 'one stream', value: singleRoundCpu },
          ratio: manyRoundCpu / Math.max(singleRoundCpu, 1),
          note:
            `user + system time of the api process (/proc, 10 ms steps) over the ${rounds} rounds, ÷ rounds; ` +
            `a round is one update of each of the ${taskCount} tasks, ${subscribersWanted} deliveries; ratio floor 1 ms`,
        },
        {
          row: ROW,
          figure: `api RSS with ${subscribersWanted} streams (peak)`,
          value: peakRss,
          unit: 'MB',
          baseline: { label: 'api idle, no stream', value: idleRss },
          ratio: peakRss / idleRss,
          goal: `≤ ${RSS_GOAL_MB} MB`,
          met: peakRss <= RSS_GOAL_MB,
        },
      ];
      return lines;
    } finally {
      await api.stop();
      await moduleRef.close();
      await clearKilnKeys(context.redisUrl);
    }
  },
};
