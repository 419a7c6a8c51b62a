import {
  Controller,
  HttpCode,
  Inject,
  Logger,
  ParseBoolPipe,
  Post,
  Query,
  Req,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiError, ErrorMessage } from '../common/api-error';
import { ErrorBodyDto } from '../common/error-body.dto';
import { absoluteUrl, requestBaseUrl } from '../common/public-url';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TaskEventsService } from '../tasks/events/task-events.service';
import { TaskQueueService } from '../tasks/queue/task-queue.service';
import { GenerateAcceptedDto, GenerateDoneDto, GenerateUploadDto } from './generate.dto';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { normaliseImage } from './image-normaliser';

@ApiTags('generate')
@Controller('api/generate')
export class GenerateController {
  private readonly logger = new Logger('Upload');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: TaskQueueService,
    private readonly events: TaskEventsService,
  ) {}

  @Post()
  @HttpCode(202)
  @UseInterceptors(ImageUploadInterceptor)
  @ApiOperation({
    summary: 'Upload one picture; a GLB model is made from it',
    description:
      'Answers 202 at once with the task id (follow it with GET /api/status/{task_id}). With ?wait=true the ' +
      'request is held until the model is done (for scripts on the local network; a tunnel cuts requests at ~100 s).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: GenerateUploadDto })
  @ApiQuery({
    name: 'wait',
    required: false,
    type: Boolean,
    description: 'Hold the request until the task ends',
  })
  @ApiAcceptedResponse({ type: GenerateAcceptedDto, description: 'Queued (without wait).' })
  @ApiOkResponse({ type: GenerateDoneDto, description: 'With wait=true: the model is ready.' })
  @ApiResponse({
    status: 400,
    type: ErrorBodyDto,
    description:
      '"Unsupported image format" (not a JPEG, PNG or WebP by content, or over 8192x8192 px); ' +
      '"Missing file field \\"image\\""; "Send exactly one file, in the field \\"image\\""; "Malformed upload: ..."',
  })
  @ApiResponse({
    status: 409,
    type: ErrorBodyDto,
    description: 'With wait=true: "Task cancelled" (DELETE /api/tasks/{id}).',
  })
  @ApiResponse({
    status: 413,
    type: ErrorBodyDto,
    description: '"File too large, max 10MB" (the number is MAX_UPLOAD_MB).',
  })
  @ApiResponse({
    status: 500,
    type: ErrorBodyDto,
    description: 'With wait=true: "GPU out of memory"; any request: "Internal error".',
  })
  @ApiResponse({
    status: 503,
    type: ErrorBodyDto,
    description:
      '"Server busy, retry later": MAX_QUEUE tasks already wait. Retry-After says when to try again (s).',
    headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
  })
  @ApiResponse({
    status: 504,
    type: ErrorBodyDto,
    description: 'With wait=true: "Generation timeout" (over JOB_TIMEOUT_S).',
  })
  async generate(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Query('wait', new ParseBoolPipe({ optional: true })) wait: boolean | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<GenerateAcceptedDto | GenerateDoneDto> {
    if (!file) throw new ApiError(400, ErrorMessage.missingImage);
    const taskId = await this.queue.reserve();
    let png: Buffer;
    try {
      const image = await normaliseImage(file.buffer);
      this.logger.log(
        `request received task=${taskId} bytes=${file.size} format=${image.format} ` +
          `${image.inputWidth}x${image.inputHeight} -> ${image.width}x${image.height}`,
      );
      png = image.png;
    } catch (error) {
      this.logger.log(`request received bytes=${file.size} format=unsupported: refused`);
      await this.queue.release(taskId);
      throw error;
    }
    const state = await this.queue.enqueue(taskId, png);
    const baseUrl = requestBaseUrl(this.config.publicBaseUrl, req);
    if (wait !== true) {
      return {
        success: true,
        task_id: taskId,
        status_url: absoluteUrl(baseUrl, `/api/status/${taskId}`),
        queue_position: state.record.position ?? 0,
      };
    }
    const final = await this.events.waitForTerminal(taskId);
    if (!final) throw new ApiError(500, ErrorMessage.internal);
    const record = final.record;
    if (record.status === 'completed' && record.model_path !== undefined) {
      res.status(200);
      return {
        success: true,
        model_url: absoluteUrl(baseUrl, record.model_path),
        generation_time: record.generation_time ?? 0,
        task_id: taskId,
      };
    }
    throw new ApiError(record.http_status ?? 500, record.error ?? ErrorMessage.internal);
  }
}
