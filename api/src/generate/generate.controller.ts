import {
  Body,
  Controller,
  HttpCode,
  Inject,
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
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccessControlled } from '../access/access-controlled.decorator';
import { ApiError } from '../common/api-error';
import { ApiErrorResponses } from '../common/error-body.dto';
import { clientAddress, limitKey } from '../common/client-address';
import { requestBaseUrl } from '../common/public-url';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UploadRateLimited } from '../limits/upload-rate-limited.decorator';
import { GenerateAcceptedDto, GenerateDoneDto, GenerateUploadDto } from './generate.dto';
import { TaskIntakeService } from '../tasks/intake/task-intake.service';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { parseCallbackUrl } from '../webhooks/callback-url';
import { WebhooksService } from '../webhooks/webhooks.service';

/** ?wait= that is neither true nor false: 400 invalid_parameter, not the pipe's own words. */
const waitIsNotAFlag = (): ApiError => new ApiError('invalid_parameter', { params: { name: 'wait' } });

/**
 * POST /api/generate: the route's contract; TaskIntakeService does the work. A job's failures
 * (task_cancelled, gpu_out_of_memory, generation_timeout, no_object) answer only with wait=true.
 */
@ApiTags('generate')
@AccessControlled()
@Controller('api/generate')
export class GenerateController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly generation: TaskIntakeService,
    private readonly webhooks: WebhooksService,
  ) {}

  @Post()
  @HttpCode(202)
  @UploadRateLimited()
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
  // 429 too_many_requests: UploadRateLimited documents it.
  @ApiErrorResponses(
    'too_many_active_tasks',
    'unsupported_image',
    'missing_image',
    'unexpected_file',
    'invalid_option',
    'invalid_parameter',
    'bad_request',
    'task_cancelled',
    'file_too_large',
    'image_too_small',
    'no_object',
    'unavailable_quality',
    'internal_error',
    'gpu_out_of_memory',
    'server_busy',
    'decode_busy',
    'admissions_paused',
    'engine_unavailable',
    'store_full',
    'insufficient_storage',
    'request_timeout',
    'generation_timeout',
  )
  async generate(
    @UploadedFile() file: Express.Multer.File | undefined,
    @Body() fields: unknown,
    @Query('wait', new ParseBoolPipe({ optional: true, exceptionFactory: waitIsNotAFlag }))
    wait: boolean | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<GenerateAcceptedDto | GenerateDoneDto> {
    // Judged before the picture (a bad callback_url costs no decoding and no queue slot).
    const callbackUrl = parseCallbackUrl(fields, this.config.webhooks);
    const baseUrl = requestBaseUrl(this.config.publicBaseUrl, req);
    const client = clientAddress(req);
    const outcome = await this.generation.submit(file, fields, wait === true, baseUrl, client, (taskId) =>
      this.webhooks.register(taskId, baseUrl, callbackUrl, limitKey(client)),
    );
    res.status(outcome.httpStatus);
    return outcome.body;
  }
}
