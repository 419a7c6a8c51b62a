import { Controller, Delete, Get, Headers, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiError, ErrorMessage } from '../common/api-error';
import { ApiInternalErrorResponse, ErrorBodyDto } from '../common/error-body.dto';
import { requestBaseUrl } from '../common/public-url';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TaskEventsService } from './events/task-events.service';
import { TaskQueueService } from './queue/task-queue.service';
import { isTerminal, toTaskView, type TaskRecord, type TaskView } from './state/task-snapshot';
import { TaskStore } from './state/task-store.service';
import { isTaskId } from '../storage/model-names';
import { SseCursor, formatSseEvent } from './stream/sse-cursor';
import { TaskViewDto } from './task-view.dto';

/** Client reconnect delay announced in the stream (ms). */
export const SSE_RETRY_MS = 3000;

@ApiTags('tasks')
@ApiInternalErrorResponse()
@Controller('api')
export class StatusController {
  private readonly logger = new Logger('Status');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tasks: TaskStore,
    private readonly events: TaskEventsService,
    private readonly queue: TaskQueueService,
  ) {}

  private async requireTask(taskId: string) {
    const state = isTaskId(taskId) ? await this.tasks.get(taskId) : undefined;
    if (!state) throw new ApiError(404, ErrorMessage.taskNotFound);
    return state;
  }

  private view(record: TaskRecord, req: Request): TaskView {
    return toTaskView(record, requestBaseUrl(this.config.publicBaseUrl, req));
  }

  @Get('status/:taskId')
  @ApiOperation({
    summary: 'Server-Sent Events of one task',
    description:
      'Each event: `id` (monotonic per task), `event` = the status (queued, processing, completed, failed), ' +
      '`data` = the task snapshot as JSON. The current state is always sent first (also after a reconnect with ' +
      'Last-Event-ID); a comment heartbeat at least every 15 s; the stream ends after completed or failed. ' +
      'A cancelled task ends with `failed` {http_status: 409, error: "Task cancelled", cancelled: true}.',
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of task snapshots', type: TaskViewDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: '"Task not found" (unknown or expired id)' })
  async stream(
    @Param('taskId') taskId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.requireTask(taskId);
    const cursor = new SseCursor(SseCursor.parseLastEventId(lastEventId));
    let closed = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const pending: { seq: number; record: TaskRecord }[] = [];
    let ready = false;

    const close = (): void => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      res.end();
    };
    const send = (seq: number, record: TaskRecord): void => {
      if (closed || !cursor.accept(seq)) return;
      res.write(formatSseEvent(record.status, seq, this.view(record, req)));
      if (isTerminal(record.status)) close();
    };
    // Subscribe before reading the current state, so nothing falls between the two.
    const unsubscribe = this.events.subscribe(taskId, (event) => {
      if (ready) send(event.seq, event.record);
      else pending.push({ seq: event.seq, record: event.record });
    });
    // The response closes when the client goes away (or after the terminal event).
    res.on('close', close);

    try {
      const current = await this.tasks.get(taskId);
      if (!current) throw new ApiError(404, ErrorMessage.taskNotFound);
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache, no-transform');
      res.setHeader('Connection', 'keep-alive');
      // Tells nginx-like proxies not to buffer the stream.
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write(`retry: ${SSE_RETRY_MS}\n\n`);
      heartbeat = setInterval(() => {
        if (closed) return;
        res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
        // A pub/sub message lost in a Redis reconnect is caught up here (the cursor drops repeats).
        this.tasks.get(taskId).then(
          (state) => {
            if (state) send(state.seq, state.record);
          },
          () => undefined,
        );
      }, this.config.sseHeartbeatS * 1000);
      send(current.seq, current.record);
      ready = true;
      for (const event of pending.sort((a, b) => a.seq - b.seq)) send(event.seq, event.record);
      pending.length = 0;
    } catch (error) {
      unsubscribe();
      clearInterval(heartbeat);
      closed = true;
      if (!res.headersSent) throw error;
      this.logger.warn(`SSE ${taskId} ended: ${error instanceof Error ? error.message : String(error)}`);
      res.end();
    }
  }

  @Get('tasks/:taskId')
  @ApiOperation({ summary: 'The task snapshot as JSON, for polling clients' })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiOkResponse({ type: TaskViewDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: '"Task not found"' })
  async get(@Param('taskId') taskId: string, @Req() req: Request): Promise<TaskView> {
    const state = await this.requireTask(taskId);
    return this.view(state.record, req);
  }

  @Delete('tasks/:taskId')
  @ApiOperation({
    summary: 'Cancel a waiting or running task',
    description:
      'A waiting task leaves the queue; a running one is aborted. The task ends `failed` with ' +
      'http_status 409, error "Task cancelled", cancelled true. Answers the final snapshot.',
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiOkResponse({ type: TaskViewDto, description: 'Cancelled: the failed snapshot' })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: '"Task not found"' })
  @ApiResponse({ status: 409, type: ErrorBodyDto, description: '"Task already finished"' })
  async cancel(@Param('taskId') taskId: string, @Req() req: Request): Promise<TaskView> {
    if (!isTaskId(taskId)) throw new ApiError(404, ErrorMessage.taskNotFound);
    const state = await this.queue.cancel(taskId);
    return this.view(state.record, req);
  }
}
