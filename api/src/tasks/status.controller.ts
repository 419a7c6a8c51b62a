import { Controller, Delete, Get, Headers, Inject, Param, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccessControlled } from '../access/access-controlled.decorator';
import { ApiErrorResponses, ApiInternalErrorResponse } from '../common/error-body.dto';
import { clientAddress, limitKey } from '../common/client-address';
import { requestBaseUrl } from '../common/public-url';
import { ReadRateLimited } from '../limits/read-rate-limited.decorator';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TaskLifecycle } from './lifecycle/task-lifecycle.service';
import { TASK_TOKEN_HEADER } from './lifecycle/task-token';
import { PreviewStore } from './state/preview-store.service';
import { toTaskView, type TaskView } from './state/task-snapshot';
import { TaskStore } from './state/task-store.service';
import { openSseResponse } from './stream/sse-response';
import { StreamSlots } from './stream/stream-slots';
import { TaskStreamService } from './stream/task-stream.service';
import { TaskViewDto } from './task-view.dto';

/**
 * The task routes: decorators and one service call each (TaskStreamService, TaskStore, TaskLifecycle).
 * All under the optional access control (AccessControlled), like POST /api/generate, then the
 * per-client read rate (ReadRateLimited: READS_PER_MINUTE); an event stream also takes one of
 * this process's stream slots (StreamSlots) before it opens.
 */
@ApiTags('tasks')
@AccessControlled()
@ApiInternalErrorResponse()
@Controller('api')
export class StatusController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tasks: TaskStore,
    private readonly streams: TaskStreamService,
    private readonly lifecycle: TaskLifecycle,
    private readonly previews: PreviewStore,
    private readonly slots: StreamSlots,
  ) {}

  // A plain GET that writes the event stream itself rather than Nest's @Sse(): one fan-out per
  // task writes each event's bytes, built once, to every stream (TaskStreamService, through
  // openSseResponse), where @Sse() runs an rxjs pipeline and an object-mode Transform per stream
  // and event (docs/performance.md, issue 24: most of the api's CPU at 1,000 streams). Refusals
  // and the 404 are thrown before any byte is written, so the exception filters answer them as
  // for any route.
  @Get('status/:taskId')
  @ApiOperation({
    summary: 'Server-Sent Events of one task',
    description:
      'Each event: `id` (monotonic per task), `event` = the status (queued, processing, completed, failed), ' +
      "`data` = the task snapshot as JSON. While processing, the snapshot's `preview` names the latest voxel " +
      'preview {rev, stage, resolution, count, encoding, bytes, url}: a new `rev` says new voxels are known; ' +
      'fetch them from `url` (GET /api/tasks/{id}/preview). ' +
      'The current state is always sent first (also after a reconnect with ' +
      'Last-Event-ID); a comment heartbeat at least every 15 s; the stream ends after completed or failed. ' +
      'A cancelled task ends with `failed` {http_status: 409, error: "Task cancelled", error_code: "task_cancelled", ' +
      'cancelled: true}. ' +
      'A finished task without Last-Event-ID gets its terminal event once; a reconnect whose ' +
      "Last-Event-ID is at or past the terminal event's id gets 204 (an EventSource then stops).",
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  // The content type is the 200's alone: the 404 and 500 answer JSON (an operation-wide
  // @ApiProduces would document them as text/event-stream; schemathesis caught it).
  // The body is a stream of text events, not one JSON document: a string, so that generated
  // clients (openapi-fetch, openapi-python-client) hand it over as text to an SSE reader instead
  // of parsing it as a TaskViewDto (an integrator's trial: every generated client threw).
  @ApiOkResponse({
    description: 'text/event-stream of task snapshots',
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'Server-Sent Events (WHATWG HTML, "Server-sent events"): blocks of `event: <name>`, `id: <n>` and ' +
            '`data: <one line of JSON>`, each ended by a blank line; a status event (queued, processing, completed, ' +
            `failed)'s data is a TaskViewDto (${getSchemaPath(TaskViewDto)}), a preview event's a TaskPreviewDto; ` +
            'comment lines (`: heartbeat`) keep the connection open; `retry: 3000` comes first.',
          example:
            'retry: 3000\n\nevent: queued\nid: 1\ndata: {"task_id":"7f1c…","status":"queued","position":1,…}\n\n',
        },
      },
    },
  })
  @ApiNoContentResponse({
    description:
      'The task is finished and Last-Event-ID is at or past its terminal event: nothing more to send',
  })
  @ReadRateLimited()
  @ApiErrorResponses('task_not_found', 'too_many_streams', 'streams_full')
  async stream(
    @Param('taskId') taskId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    // Before any byte of the stream: a refusal is a plain JSON answer (429 / 503 + Retry-After).
    const release = this.slots.take(limitKey(clientAddress(req)));
    // Whatever ends the answer (the stream's end, the client gone, an error) gives the slot back.
    res.once('close', release);
    let answer: Awaited<ReturnType<TaskStreamService['open']>>;
    try {
      answer = await this.streams.open(taskId, lastEventId, requestBaseUrl(this.config.publicBaseUrl, req));
    } catch (error) {
      release();
      throw error;
    }
    if (answer.kind === 'caughtUp') {
      release();
      res.status(204).end();
      return;
    }
    if (res.destroyed) {
      // The client left while the state was read.
      answer.cancel();
      return;
    }
    answer.attach(openSseResponse(res));
  }

  @Get('tasks/:taskId')
  @ApiOperation({ summary: 'The task snapshot as JSON, for polling clients' })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiOkResponse({ type: TaskViewDto })
  @ReadRateLimited()
  @ApiErrorResponses('task_not_found')
  async get(@Param('taskId') taskId: string, @Req() req: Request): Promise<TaskView> {
    const state = await this.tasks.require(taskId);
    return toTaskView(state.record, requestBaseUrl(this.config.publicBaseUrl, req));
  }

  @Get('tasks/:taskId/preview')
  @ApiOperation({
    summary: "The task's latest voxel preview (binary)",
    description:
      'The voxels the engine knows before the model exists (after its structure stage, then finer after its ' +
      "shape stage): `count` (x, y, z) triplets on an n³ grid over the model's unit cube, in the model's axes " +
      '(x right, y up, z towards the viewer; voxel (x, y, z) fills [x/n - 0.5, (x+1)/n - 0.5] likewise in y, z); ' +
      'one byte per axis when n <= 256 (`xyz8`), else uint16 little-endian (`xyz16le`); at most 32768 voxels. ' +
      'The headers say which preview it is (the `rev` query parameter only names a URL per preview).',
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  // The content type is the 200's alone: its 404 and 401 answer JSON.
  @ApiOkResponse({
    description: 'The packed coordinates',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    headers: {
      'X-Preview-Rev': { description: '1, 2, ...: which preview of the task', schema: { type: 'integer' } },
      'X-Preview-Stage': { description: 'structure or geometry', schema: { type: 'string' } },
      'X-Preview-Resolution': { description: 'n: the grid is n³', schema: { type: 'integer' } },
      'X-Preview-Count': { description: 'number of voxels', schema: { type: 'integer' } },
      'X-Preview-Encoding': { description: 'xyz8 or xyz16le', schema: { type: 'string' } },
    },
  })
  @ReadRateLimited()
  @ApiErrorResponses('task_not_found', 'preview_not_found')
  async preview(
    @Param('taskId') taskId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { record, coords } = await this.previews.require(taskId);
    res.set({
      'Cache-Control': 'no-store',
      'X-Preview-Rev': String(record.rev),
      'X-Preview-Stage': record.stage,
      'X-Preview-Resolution': String(record.resolution),
      'X-Preview-Count': String(record.count),
      'X-Preview-Encoding': record.encoding,
    });
    return new StreamableFile(coords, { type: 'application/octet-stream', length: coords.length });
  }

  @Delete('tasks/:taskId')
  @ApiOperation({
    summary: 'Cancel a waiting or running task',
    description:
      'A waiting task leaves the queue; a running one is aborted. The task ends `failed` with ' +
      'http_status 409, error "Task cancelled", error_code task_cancelled, cancelled true. Answers the final snapshot.',
  })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiOkResponse({ type: TaskViewDto, description: 'Cancelled: the failed snapshot' })
  @ApiHeader({
    name: 'X-Task-Token',
    required: true,
    description: 'The task_token of the 202 that made the task: only its maker may cancel it.',
  })
  @ReadRateLimited()
  @ApiErrorResponses('task_token_required', 'task_not_found', 'task_already_finished')
  async cancel(
    @Param('taskId') taskId: string,
    @Headers(TASK_TOKEN_HEADER) token: string | undefined,
    @Req() req: Request,
  ): Promise<TaskView> {
    const state = await this.lifecycle.cancel(taskId, token);
    return toTaskView(state.record, requestBaseUrl(this.config.publicBaseUrl, req));
  }
}
