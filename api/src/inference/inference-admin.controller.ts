import { createHash, timingSafeEqual } from 'node:crypto';
import {
  BadRequestException,
  ConflictException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
  Query,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ErrorBodyDto } from '../common/error-body.dto';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { InferenceRepository } from './inference.repository';

export class InferenceRestartAcceptedDto {
  @ApiProperty({ example: true, enum: [true] })
  success!: true;
  @ApiProperty({ example: false, description: 'true: killed at once; false: after the running job' })
  force!: boolean;
  @ApiProperty({ example: 4242, nullable: true, type: Number, description: 'pid of the sidecar being replaced' })
  previous_pid!: number | null;
  @ApiProperty({ example: 'Restart started' })
  message!: string;
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
function tokenMatches(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function parseForce(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new BadRequestException('force must be true or false');
}

@ApiTags('admin')
@Controller('api/admin/inference')
export class InferenceAdminController {
  private readonly logger = new Logger('InferenceAdmin');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly inference: InferenceRepository,
  ) {}

  @Post('restart')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Restart the inference sidecar',
    description:
      'Graceful by default: waits for the running job to finish, then stops the sidecar (SIGTERM) and ' +
      'starts a fresh one. With force=true the sidecar is killed at once and the running job fails.',
  })
  @ApiBearerAuth()
  @ApiQuery({ name: 'force', required: false, type: Boolean, description: 'Kill at once (default false)' })
  @ApiAcceptedResponse({ type: InferenceRestartAcceptedDto, description: 'The restart has begun' })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'force is not true or false' })
  @ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or wrong bearer token' })
  @ApiNotFoundResponse({ type: ErrorBodyDto, description: 'ADMIN_TOKEN is not set: admin routes are off' })
  @ApiConflictResponse({ type: ErrorBodyDto, description: 'The sidecar runs elsewhere (INFERENCE_URL)' })
  @ApiServiceUnavailableResponse({ type: ErrorBodyDto, description: 'The api is shutting down' })
  async restart(
    @Headers('authorization') authorization: string | undefined,
    @Query('force') forceParam: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<InferenceRestartAcceptedDto> {
    const expected = this.config.adminToken;
    if (expected === undefined) throw new NotFoundException('Not found');
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (match === null || !tokenMatches(match[1], expected)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="kiln3d-admin"');
      throw new UnauthorizedException('Invalid or missing admin token');
    }
    const force = parseForce(forceParam);
    const before = await this.inference.health();
    if (!before.managed) {
      throw new ConflictException('The inference sidecar is not managed by this api (INFERENCE_URL is set)');
    }
    if (before.state === 'down') throw new ServiceUnavailableException('The inference sidecar is stopped');
    this.logger.warn(`inference sidecar restart requested (force=${force}, pid ${before.pid ?? 'none'})`);
    // The restart runs on after the answer: a graceful one may wait minutes for the running job.
    this.inference.restart({ force }).catch((error: unknown) => {
      this.logger.error(`inference sidecar restart failed: ${String(error)}`);
    });
    return {
      success: true,
      force,
      previous_pid: before.pid,
      message: force || before.state !== 'busy' ? 'Restart started' : 'Restart will start when the running job ends',
    };
  }
}
