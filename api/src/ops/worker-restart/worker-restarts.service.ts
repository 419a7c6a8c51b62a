import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { ApiError, ERROR_TABLE } from '../../common/api-error';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { type NodeReport, WorkerRegistry } from '../../tasks/workers/worker-registry.service';
import type {
  WorkerRestartAcceptedDto,
  WorkerRestartAllDto,
  WorkerRestartOutcomeDto,
} from './worker-restart.dto';
import {
  CLAIM_MARGIN_MS,
  WORKER_ANSWER_GRACE_MS,
  WORKER_ANSWER_TIMEOUT_MS,
  type WorkerRestartReply,
  type WorkerRestartRequest,
  parseRestartReply,
} from './worker-restart-protocol';

/** Timings of the exchange, in milliseconds (tests shorten them). */
export interface WorkerRestartTimings {
  /** How long a worker has to take the request. */
  answerTimeoutMs: number;
  /** How much longer its answer is awaited once it took the request at the last moment. */
  answerGraceMs: number;
}

/** Optional provider: WorkerRestartTimings instead of WORKER_ANSWER_TIMEOUT_MS and WORKER_ANSWER_GRACE_MS. */
export const WORKER_RESTART_TIMINGS = Symbol('WORKER_RESTART_TIMINGS');

/** How often a request is published again while its worker does not listen yet (ms). */
const REPUBLISH_MS = 100;

/** A request waiting for its worker's reply. */
interface Pending {
  resolve: (reply: WorkerRestartReply) => void;
}

/**
 * The asking side of a worker's sidecar restart (docs/design.md, HTTP contract: a worker's
 * sidecar), behind POST /api/admin/workers/{worker_id}/inference/restart and its every-worker
 * form, on any api process: it finds the worker among the live ones (WorkerRegistry), writes the
 * claim key, publishes the request on that worker's channel and waits for its answer on the
 * replies channel (worker-restart-protocol.ts). It never restarts anything itself: the worker's
 * WorkerRestartListener hands the request to its InferenceAdminService, the owner of the local
 * restart, so both routes mean the same.
 */
@Injectable()
export class WorkerRestarts implements OnModuleDestroy {
  private readonly logger = new Logger('InferenceAdmin');
  private readonly pending = new Map<string, Pending>();
  private unlisten: (() => void) | undefined;
  private readonly timings: WorkerRestartTimings;

  constructor(
    private readonly redis: RedisService,
    private readonly registry: WorkerRegistry,
    @Optional() @Inject(WORKER_RESTART_TIMINGS) timings?: Partial<WorkerRestartTimings>,
  ) {
    this.timings = {
      answerTimeoutMs: WORKER_ANSWER_TIMEOUT_MS,
      answerGraceMs: WORKER_ANSWER_GRACE_MS,
      ...timings,
    };
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /**
   * Asks one live worker to restart its sidecar, as POST /api/admin/inference/restart would there
   * (`force`: kill at once; `by`: the operator, for both logs). Resolves with the worker's answer
   * within answerTimeoutMs (+ answerGraceMs at worst). Throws ApiError 404 worker_not_found (no live
   * worker has this id), 504 worker_no_answer (it did not listen, or did not take the request,
   * within answerTimeoutMs: withdrawn, nothing restarts), or the worker's own refusal: 409 sidecar_not_managed (its
   * sidecar is INFERENCE_URL's), 503 sidecar_stopped (it is shutting down).
   */
  async restartOne(workerId: string, force: boolean, by: string): Promise<WorkerRestartAcceptedDto> {
    const worker = (await this.liveWorkers()).find((node) => node.id === workerId);
    if (worker === undefined) throw new ApiError('worker_not_found');
    const reply = await this.ask(worker, force, by);
    if (reply === undefined) throw new ApiError('worker_no_answer');
    if (!reply.ok) throw new ApiError(reply.code);
    return { success: true, ...reply.accepted, worker_id: worker.id, host: worker.host, pid: worker.pid };
  }

  /**
   * Asks every live worker at once (oldest start first) and reports each one's outcome as its own
   * route would have answered (status 202, or the error's status and code); never throws for a
   * worker's refusal or silence. An empty list when no worker is live.
   */
  async restartAll(force: boolean, by: string): Promise<WorkerRestartAllDto> {
    const workers = await this.liveWorkers();
    const outcomes = await Promise.all(
      workers.map(async (worker): Promise<WorkerRestartOutcomeDto> => {
        const target = { worker_id: worker.id, host: worker.host, pid: worker.pid };
        const reply = await this.ask(worker, force, by).catch(() => undefined);
        if (reply?.ok === true) {
          const { previous_pid, waits_for_job, message } = reply.accepted;
          return { ...target, status: 202, code: null, message, previous_pid, waits_for_job };
        }
        const code = reply === undefined ? 'worker_no_answer' : reply.code;
        const row = ERROR_TABLE[code];
        return {
          ...target,
          status: row.status,
          code,
          message: row.message,
          previous_pid: null,
          waits_for_job: false,
        };
      }),
    );
    return { force, accepted: outcomes.filter((o) => o.status === 202).length, workers: outcomes };
  }

  /** The live workers on this Redis (api-only processes are no workers). */
  private async liveWorkers(): Promise<NodeReport[]> {
    return (await this.registry.nodes()).filter((node) => node.worker !== null);
  }

  /**
   * One exchange with one worker: its reply, or undefined when it did not take the request in
   * time (then withdrawn: the claim deleted before it could be taken).
   */
  private async ask(worker: NodeReport, force: boolean, by: string): Promise<WorkerRestartReply | undefined> {
    await this.listenForReplies();
    const request: WorkerRestartRequest = {
      request_id: randomUUID(),
      force,
      by: `${by} through the api on ${hostname()} (pid ${process.pid})`,
    };
    const claim = RedisKeys.workerRestartClaim(request.request_id);
    const reply = new Promise<WorkerRestartReply>((resolve) =>
      this.pending.set(request.request_id, { resolve }),
    );
    try {
      const deadline = Date.now() + this.timings.answerTimeoutMs;
      await this.redis.client.set(claim, worker.id, 'PX', this.timings.answerTimeoutMs + CLAIM_MARGIN_MS);
      const publish = (): Promise<number> =>
        this.redis.publish(RedisKeys.workerRestartChannel(worker.id), JSON.stringify(request));
      let listeners = await publish();
      // A worker is listed from its first heartbeat, a moment before its subscription is confirmed
      // (and again while ioredis renews it after a reconnect): asked again until it hears, within
      // the same wait. Nobody heard the earlier copies, so none is acted on twice.
      while (listeners === 0 && Date.now() + REPUBLISH_MS < deadline) {
        await sleep(REPUBLISH_MS);
        listeners = await publish();
      }
      const answered = listeners === 0 ? undefined : await within(reply, Math.max(0, deadline - Date.now()));
      if (answered !== undefined) {
        this.logger.log(
          `sidecar restart of worker ${worker.id} (${worker.host}, pid ${worker.pid}) asked by ${by} ` +
            `(force=${force}): ${answered.ok ? answered.accepted.message : `refused, ${answered.code}`}`,
        );
        return answered;
      }
      // Whoever deletes the claim first decides: the worker (it acts) or this process (withdrawn).
      const withdrawn = (await this.redis.client.del(claim)) === 1;
      if (withdrawn) {
        this.logger.warn(
          `sidecar restart of worker ${worker.id} (${worker.host}, pid ${worker.pid}) not taken within ` +
            `${this.timings.answerTimeoutMs} ms${listeners === 0 ? ' (it never listened)' : ''}; withdrawn`,
        );
        return undefined;
      }
      // Taken at the last moment: its answer follows the take at once.
      const late = await within(reply, this.timings.answerGraceMs);
      if (late === undefined) {
        this.logger.warn(
          `worker ${worker.id} took the sidecar restart request but its answer did not arrive`,
        );
      }
      return late;
    } finally {
      this.pending.delete(request.request_id);
    }
  }

  /** Subscribes to the replies channel once, confirmed before the first request goes out. */
  private async listenForReplies(): Promise<void> {
    if (this.unlisten === undefined) {
      this.unlisten = this.redis.listen(RedisKeys.workerRestartRepliesChannel, (text) => {
        const reply = parseRestartReply(text);
        if (reply !== undefined) this.pending.get(reply.request_id)?.resolve(reply);
      });
    }
    // Confirmed each time (one round trip): a reply sent before the subscription would be lost.
    await this.redis.subscribed(RedisKeys.workerRestartRepliesChannel);
  }
}

/** The promise's value if it settles within ms, else undefined. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
