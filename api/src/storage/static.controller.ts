import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrorResponses, ApiInternalErrorResponse } from '../common/error-body.dto';
import { ModelDeliveryService } from './model-delivery.service';

export { MODEL_CACHE_CONTROL } from './model-names';

/**
 * GET /static/{uuid}.glb, /static/{uuid}.lod.glb and /static/{uuid}.source.glb, nothing else, from whichever ModelStore
 * holds the models (ModelDeliveryService: the name matched whole, the path ending with it, a
 * regular file only: never a symlink placed in the folder).
 */
@ApiTags('models')
@ApiInternalErrorResponse()
@Controller('static')
export class StaticController {
  constructor(private readonly delivery: ModelDeliveryService) {}

  @Get(':name')
  @ApiParam({ name: 'name', example: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90.glb' })
  // The content type is the 200's alone: the 404 and 500 answer JSON (schemathesis caught an
  // operation-wide @ApiProduces documenting them as model/gltf-binary).
  @ApiOkResponse({
    content: { 'model/gltf-binary': { schema: { type: 'string', format: 'binary' } } },
    description:
      'The GLB: {uuid}.glb optimised for the web (EXT_meshopt_compression + KHR_mesh_quantization geometry, ' +
      'EXT_texture_webp textures; a glTF loader needs a meshopt decoder), {uuid}.lod.glb its small level of detail ' +
      '(the same encoding, a few percent of its bytes: drawn first), {uuid}.source.glb the engine original ' +
      'for editing tools. Ranges, ETag and Last-Modified supported.',
  })
  // not_found: not a model name, or no such model (deleted after RETENTION_HOURS).
  @ApiErrorResponses('bad_request', 'not_found', 'range_not_satisfiable')
  serve(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.delivery.serve(name, req, res);
  }
}
