import { Controller, Get, Headers, Param } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AccessControlled } from '../access/access-controlled.decorator';
import { ApiError } from '../common/api-error';
import { ApiErrorResponses, ApiInternalErrorResponse } from '../common/error-body.dto';
import { ReadRateLimited } from '../limits/read-rate-limited.decorator';
import { TASK_TOKEN_HEADER, tokenMatches } from '../tasks/lifecycle/task-token';
import { TaskStore } from '../tasks/state/task-store.service';
import { WebhookDeliveriesDto } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

/**
 * GET /api/tasks/{id}/webhooks: the task maker's view of the deliveries to its callback_url, under
 * the same access control and read rate as the other task routes, and its X-Task-Token (the
 * receiver's address and its answers are the maker's business, not every holder of a share link's).
 */
@ApiTags('tasks')
@AccessControlled()
@ApiInternalErrorResponse()
@Controller('api/tasks')
export class WebhooksController {
  constructor(
    private readonly tasks: TaskStore,
    private readonly webhooks: WebhooksService,
  ) {}

  @Get(':taskId/webhooks')
  @ApiOperation({
    summary: "The deliveries to the task's callback_url",
    description:
      'Each attempt of each delivery (completed and failed; every status with WEBHOOK_EVENTS=all) to the callback_url ' +
      'sent with POST /api/generate: when, which attempt, the outcome and the HTTP status or error. Empty without a ' +
      "callback_url. Deliveries to the owner's WEBHOOK_URL are not shown.",
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiHeader({
    name: 'X-Task-Token',
    required: true,
    description: 'The task_token of the 202 that made the task: only its maker sees its deliveries.',
  })
  @ApiOkResponse({ type: WebhookDeliveriesDto })
  @ReadRateLimited()
  @ApiErrorResponses('task_token_required', 'task_not_found')
  async deliveries(
    @Param('taskId') taskId: string,
    @Headers(TASK_TOKEN_HEADER) token: string | undefined,
  ): Promise<WebhookDeliveriesDto> {
    await this.tasks.require(taskId);
    if (!tokenMatches(await this.tasks.tokenHashOf(taskId), token)) throw new ApiError('task_token_required');
    const attempts = await this.webhooks.callbackAttempts(taskId);
    return { task_id: taskId, attempts: attempts.map(({ target: _target, ...attempt }) => attempt) };
  }
}
