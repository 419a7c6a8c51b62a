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
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccessControlled } from '../access/access-controlled.decorator';
import { ErrorBodyDto } from '../common/error-body.dto';
import { clientAddress } from '../common/client-address';
import { requestBaseUrl } from '../common/public-url';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UploadRateLimited } from '../limits/upload-rate-limited.decorator';
import { GenerateAcceptedDto, GenerateDoneDto, GenerateUploadDto } from './generate.dto';
import { TaskIntakeService } from '../tasks/intake/task-intake.service';
import { ImageUploadInterceptor } from './image-upload.interceptor';

/** POST /api/generate: the route's contract; TaskIntakeService does the work. */
@ApiTags('generate')
@AccessControlled()
@Controller('api/generate')
export class GenerateController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly generation: TaskIntakeService,
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
  @ApiResponse({
    status: 400,
    type: ErrorBodyDto,
    description:
      '"Unsupported image format" (not a JPEG, PNG or WebP by content, or over 8192x8192 px); ' +
      '"Missing file field \\"image\\""; "Send exactly one file, in the field \\"image\\""; "Bad request" (a malformed body); ' +
      '"Invalid <field>: <rule>" for a bad option, e.g. "Invalid quality: one of fast, balanced, high"',
  })
  @ApiResponse({
    status: 422,
    type: ErrorBodyDto,
    description:
      '"Image too small, min 64x64" (under 64 px on a side); "No object found in the image" (blank: one colour or ' +
      'fully transparent; with wait=true also the engine finding no object); "Unavailable quality: <preset> takes ' +
      'about <n> s here, over the <limit> s job limit; use <offered presets>" (GET /api/qualities: its ' +
      'measured jobs do not fit JOB_TIMEOUT_S; a repeat of a kept model is still answered). None holds a queue slot.',
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
    @Body() fields: unknown,
    @Query('wait', new ParseBoolPipe({ optional: true })) wait: boolean | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<GenerateAcceptedDto | GenerateDoneDto> {
    const outcome = await this.generation.submit(
      file,
      fields,
      wait === true,
      requestBaseUrl(this.config.publicBaseUrl, req),
      clientAddress(req),
    );
    res.status(outcome.httpStatus);
    return outcome.body;
  }
}
