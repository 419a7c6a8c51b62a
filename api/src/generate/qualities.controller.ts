import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiInternalErrorResponse } from '../common/error-body.dto';
import { QualityPresetsDto } from './qualities.dto';
import { QualityPresetsService } from '../tasks/options/quality-presets.service';

/** GET /api/qualities: the quality presets and which of them fit this GPU; public like /api/config. */
@ApiTags('generate')
@ApiInternalErrorResponse()
@Controller('api/qualities')
export class QualitiesController {
  constructor(private readonly presets: QualityPresetsService) {}

  @Get()
  @ApiOperation({
    summary: 'The quality presets, their expected seconds, and which fit the job limit on this GPU',
    description:
      'A preset whose jobs measured on the running engine and device take 90% of JOB_TIMEOUT_S or more (the fastest: ' +
      'the limit itself) is not ' +
      'offered: POST /api/generate answers 422 "Unavailable quality: ..." for it.',
  })
  @ApiOkResponse({ type: QualityPresetsDto })
  list(): Promise<QualityPresetsDto> {
    return this.presets.list();
  }
}
