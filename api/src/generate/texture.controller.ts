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
  UploadedFiles,
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
import { TaskIntakeService } from '../tasks/intake/task-intake.service';
import { parseCallbackUrl } from '../webhooks/callback-url';
import { WebhooksService } from '../webhooks/webhooks.service';
import { GenerateAcceptedDto, GenerateDoneDto } from './generate.dto';
import { MeshUploadInterceptor, type TextureFiles } from './mesh-upload.interceptor';
import { TextureUploadDto } from './texture.dto';

/** ?wait= that is neither true nor false: 400 invalid_parameter, not the pipe's own words. */
const waitIsNotAFlag = (): ApiError => new ApiError('invalid_parameter', { params: { name: 'wait' } });

/**
 * POST /api/texture: the route's contract; TaskIntakeService does the work. The task it makes is
 * followed, cancelled and downloaded exactly as a generation's (kind `texture`), in the same queue.
 */
@ApiTags('generate')
@AccessControlled()
@Controller('api/texture')
export class TextureController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly intake: TaskIntakeService,
    private readonly webhooks: WebhooksService,
  ) {}

  @Post()
  @HttpCode(202)
  @UploadRateLimited()
  @UseInterceptors(MeshUploadInterceptor)
  @ApiOperation({
    summary: 'Upload a mesh and a picture; the mesh comes back painted from the picture',
    description:
      'Answers 202 at once with the task id, as POST /api/generate does; the task (kind texture) shares the one ' +
      "queue, its order and its capacity with generations. The model keeps the mesh's triangles at their " +
      'positions, in its own units and place, and gains UVs and a base-colour texture. With ?wait=true the ' +
      'request is held until the model is done.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: TextureUploadDto })
  @ApiQuery({
    name: 'wait',
    required: false,
    type: Boolean,
    description: 'Hold the request until the task ends',
  })
  @ApiAcceptedResponse({ type: GenerateAcceptedDto, description: 'Queued (without wait).' })
  @ApiOkResponse({ type: GenerateDoneDto, description: 'With wait=true: the model is ready.' })
  @ApiErrorResponses(
    'too_many_active_tasks',
    'missing_mesh',
    'missing_image',
    'unexpected_mesh_file',
    'unsupported_mesh',
    'unsupported_image',
    'invalid_option',
    'invalid_parameter',
    'bad_request',
    'task_cancelled',
    'mesh_too_large',
    'file_too_large',
    'image_too_small',
    'no_object',
    'mesh_no_faces',
    'mesh_not_finite',
    'mesh_too_many_faces',
    'mesh_compressed',
    'internal_error',
    'gpu_out_of_memory',
    'server_busy',
    'decode_busy',
    'meshes_busy',
    'admissions_paused',
    'engine_unavailable',
    'store_full',
    'insufficient_storage',
    'request_timeout',
    'generation_timeout',
  )
  async texture(
    @UploadedFiles() files: TextureFiles | undefined,
    @Body() fields: unknown,
    @Query('wait', new ParseBoolPipe({ optional: true, exceptionFactory: waitIsNotAFlag }))
    wait: boolean | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<GenerateAcceptedDto | GenerateDoneDto> {
    // Judged before the files (a bad callback_url costs no decoding, no mesh intake and no slot).
    const callbackUrl = parseCallbackUrl(fields, this.config.webhooks);
    const baseUrl = requestBaseUrl(this.config.publicBaseUrl, req);
    const client = clientAddress(req);
    const outcome = await this.intake.submitTexture(
      { mesh: files?.mesh?.[0], image: files?.image?.[0] },
      fields,
      wait === true,
      baseUrl,
      client,
      (taskId) => this.webhooks.register(taskId, baseUrl, callbackUrl, limitKey(client)),
    );
    res.status(outcome.httpStatus);
    return outcome.body;
  }
}
