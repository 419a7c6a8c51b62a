import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { errorMessage } from '../../common/error-message';
import { InferenceAdminService } from '../../inference/admin/inference-admin.service';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import { WorkerRegistry } from '../../tasks/workers/worker-registry.service';
import {
  type WorkerRestartReply,
  type WorkerRestartRequest,
  isWorkerRefusalCode,
  parseRestartRequest,
} from './worker-restart-protocol';

/**
 * The worker's side of a sidecar restart asked through Redis (worker-restart-protocol.ts): in a
 * process that runs jobs (it has InferenceAdminService; an api-only one listens to nothing), it
 * listens on its own channel (RedisKeys.workerRestartChannel of its WorkerRegistry id), takes a
 * request only by deleting its claim key first (too late, or taken already: it does nothing),
 * hands it to InferenceAdminService.restart, the local restart's one owner, and publishes the
 * answer: accepted (as that route's 202 body) or the refusal's code.
 */
@Injectable()
export class WorkerRestartListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('InferenceAdmin');
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly registry: WorkerRegistry,
    @Optional() private readonly admin?: InferenceAdminService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.admin === undefined) return;
    this.unlisten = this.redis.listen(RedisKeys.workerRestartChannel(this.registry.id), (text) => {
      void this.handle(text);
    });
  }

  onModuleDestroy(): void {
    this.unlisten?.();
  }

  /** One request off the channel: taken, acted on and answered, or dropped. Never throws. */
  async handle(text: string): Promise<void> {
    const admin = this.admin;
    if (admin === undefined) return;
    const request = parseRestartRequest(text);
    if (request === undefined) {
      this.logger.warn('sidecar restart request dropped: not a request');
      return;
    }
    try {
      if ((await this.redis.client.del(RedisKeys.workerRestartClaim(request.request_id))) !== 1) {
        // The asker stopped waiting (and withdrew it) or the claim lapsed: restarting now would
        // surprise an operator who was told nothing happened.
        this.logger.warn(`sidecar restart request by ${request.by} came too late; nothing restarted`);
        return;
      }
      await this.reply(await this.act(admin, request));
    } catch (error) {
      this.logger.error(`sidecar restart request by ${request.by} not answered: ${errorMessage(error)}`);
    }
  }

  /** The local restart's outcome as a reply. */
  private async act(
    admin: InferenceAdminService,
    request: WorkerRestartRequest,
  ): Promise<WorkerRestartReply> {
    try {
      const answer = await admin.restart(request.force, request.by);
      const { force, previous_pid, waits_for_job, message } = answer;
      return {
        request_id: request.request_id,
        ok: true,
        accepted: { force, previous_pid, waits_for_job, message },
      };
    } catch (error) {
      const code: unknown = error instanceof ApiError ? error.code : undefined;
      if (!isWorkerRefusalCode(code)) {
        this.logger.error(`sidecar restart by ${request.by} failed: ${errorMessage(error)}`);
      }
      return {
        request_id: request.request_id,
        ok: false,
        code: isWorkerRefusalCode(code) ? code : 'internal_error',
      };
    }
  }

  private async reply(reply: WorkerRestartReply): Promise<void> {
    await this.redis.publish(RedisKeys.workerRestartRepliesChannel, JSON.stringify(reply));
  }
}
