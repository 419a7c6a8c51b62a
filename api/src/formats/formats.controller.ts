import { applyDecorators, Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccessControlled } from '../access/access-controlled.decorator';
import { ApiErrorResponses, ApiInternalErrorResponse } from '../common/error-body.dto';
import { requestBaseUrl } from '../common/public-url';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ReadRateLimited } from '../limits/read-rate-limited.decorator';
import {
  DEFAULT_SIZE_MM,
  MODEL_FORMAT_INFO,
  MODEL_FORMATS,
  SIZE_MM_MAX,
  SIZE_MM_MIN,
  formatDescription,
} from '../storage/model-formats';
import { FormatListDto, FormatPendingDto } from './formats.dto';
import { ModelDownloadsService, parseDownloadQuery } from './model-downloads.service';

const DOWNLOAD_DESCRIPTION =
  'The model as a file to take home (docs/design.md, Formats): ' +
  MODEL_FORMATS.map((f) => `\`${f}\` ${formatDescription(f)}`).join('; ') +
  '. Every format but glb is made from the GLB on first request, once (concurrent requests wait on the ' +
  'same build), then kept beside the model for as long as the model. A painted model (POST /api/texture) keeps ' +
  'its own size: stl and 3mf without size_mm are made at it (file name without a size), usdz declares its units. ' +
  'While it is made the answer waits up ' +
  'to FORMAT_WAIT_S (20 s), then is 202 with Retry-After. `Content-Disposition: attachment` names the file; ' +
  'stl and 3mf say in `X-Mesh-Watertight` whether the surface is closed. Ranges, ETag and Last-Modified as ' +
  'for /static/.';

const FILE_CONTENT = Object.fromEntries(
  [...new Set(MODEL_FORMATS.map((f) => MODEL_FORMAT_INFO[f].mediaType))].map((type) => [
    type,
    { schema: { type: 'string', format: 'binary' } },
  ]),
);

const ApiDownload = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'format', required: false, enum: MODEL_FORMATS, description: 'Default glb' }),
    ApiQuery({
      name: 'size_mm',
      required: false,
      schema: { type: 'integer', minimum: SIZE_MM_MIN, maximum: SIZE_MM_MAX },
      description:
        `stl and 3mf only: the longest side in millimetres. Without it a painted model (POST /api/texture) ` +
        `is made at its own size (its coordinates x its units, no rescale), any other at ${DEFAULT_SIZE_MM}`,
    }),
    ApiOkResponse({
      content: FILE_CONTENT,
      description: 'The file',
      headers: {
        'Content-Disposition': {
          description: 'attachment; filename="kiln3d-….stl"',
          schema: { type: 'string' },
        },
        'X-Mesh-Watertight': {
          description: 'stl and 3mf: true when the surface is closed',
          schema: { type: 'string', enum: ['true', 'false'] },
        },
      },
    }),
    ApiAcceptedResponse({
      type: FormatPendingDto,
      description: 'Still being made: ask again after Retry-After seconds',
      headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
    }),
  );

/**
 * The model downloads in every format and the list of formats: decorators and one service call
 * each (ModelDownloadsService). Under the per-client read rate: a download may start a build,
 * whose cost FormatBuildsService bounds. By task id under the optional access control, like the
 * task routes; by model id public, like the model files under /static/: the share page, opened by
 * anyone with the link, knows only the model id (docs/design.md, Access control).
 */
@ApiTags('models')
@ApiInternalErrorResponse()
@Controller('api')
export class FormatsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly downloads: ModelDownloadsService,
  ) {}

  @Get('tasks/:taskId/download')
  @AccessControlled()
  @ApiOperation({ summary: "A completed task's model in one format", description: DOWNLOAD_DESCRIPTION })
  @ApiParam({ name: 'taskId', format: 'uuid' })
  @ApiDownload()
  @ReadRateLimited()
  @ApiErrorResponses(
    'invalid_option',
    'task_not_found',
    'not_found',
    'task_not_completed',
    'range_not_satisfiable',
    'format_failed',
    'formats_busy',
    'too_many_requests',
    'insufficient_storage',
  )
  downloadForTask(
    @Param('taskId') taskId: string,
    @Query('format') format: unknown,
    @Query('size_mm') sizeMm: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.downloads.downloadForTask(taskId, parseDownloadQuery(format, sizeMm), req, res);
  }

  @Get('models/:modelId/download')
  @ApiOperation({
    summary: 'A model in one format, by the id its share link and model URLs carry',
    description: DOWNLOAD_DESCRIPTION,
  })
  @ApiParam({ name: 'modelId', format: 'uuid' })
  @ApiDownload()
  @ReadRateLimited()
  @ApiErrorResponses(
    'invalid_option',
    'not_found',
    'range_not_satisfiable',
    'format_failed',
    'formats_busy',
    'too_many_requests',
    'insufficient_storage',
  )
  downloadForModel(
    @Param('modelId') modelId: string,
    @Query('format') format: unknown,
    @Query('size_mm') sizeMm: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.downloads.downloadForModel(modelId, parseDownloadQuery(format, sizeMm), req, res);
  }

  @Get('models/:modelId/formats')
  @ApiOperation({
    summary: "A model's formats and what is known of each (made, being made, its bytes, watertight)",
  })
  @ApiParam({ name: 'modelId', format: 'uuid' })
  @ApiOkResponse({ type: FormatListDto })
  @ReadRateLimited()
  @ApiErrorResponses('not_found')
  list(@Param('modelId') modelId: string, @Req() req: Request): Promise<FormatListDto> {
    return this.downloads.list(modelId, requestBaseUrl(this.config.publicBaseUrl, req));
  }
}
