import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiError, ErrorMessage } from '../common/api-error';
import { ApiInternalErrorResponse, ErrorBodyDto } from '../common/error-body.dto';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { isServableModelName } from './model-names';

/** Names are UUID v4, so a CDN may keep a model for its whole life (48 h). */
export const MODEL_CACHE_CONTROL = 'public, max-age=172800, immutable';

/**
 * GET /static/{uuid}.glb and /static/{uuid}.source.glb, nothing else: the name is matched
 * whole against a strict pattern before the disk is touched, so no listing, no traversal; the
 * path must end with the name (Express would also route `{name}/`), and the file must be a
 * regular file, not a symlink someone placed in the folder (sendFile would follow it anywhere).
 */
@ApiTags('models')
@ApiInternalErrorResponse()
@Controller('static')
export class StaticController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get(':name')
  @ApiParam({ name: 'name', example: '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90.glb' })
  // The content type is the 200's alone: the 404 and 500 answer JSON (schemathesis caught an
  // operation-wide @ApiProduces documenting them as model/gltf-binary).
  @ApiOkResponse({
    content: { 'model/gltf-binary': { schema: { type: 'string', format: 'binary' } } },
    description:
      'The GLB: {uuid}.glb optimised for the web (EXT_meshopt_compression + KHR_mesh_quantization geometry, ' +
      'EXT_texture_webp textures; a glTF loader needs a meshopt decoder), {uuid}.source.glb the engine original ' +
      'for editing tools. Ranges, ETag and Last-Modified supported.',
  })
  @ApiNotFoundResponse({
    type: ErrorBodyDto,
    description: 'Not a model name, or no such model (deleted after RETENTION_HOURS).',
  })
  async serve(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!isServableModelName(name) || req.path.endsWith('/')) throw new ApiError(404, ErrorMessage.notFound);
    const path = join(this.config.staticDir, name);
    const stat = await lstat(path).catch(() => undefined);
    if (!stat?.isFile()) throw new ApiError(404, ErrorMessage.notFound);
    res.setHeader('Content-Type', 'model/gltf-binary');
    return new Promise((resolve, reject) => {
      res.sendFile(
        path,
        {
          cacheControl: false,
          lastModified: true,
          etag: true,
          acceptRanges: true,
          dotfiles: 'deny',
          // Other sites may show a model (model_url is public): helmet's same-origin would refuse them.
          headers: { 'Cache-Control': MODEL_CACHE_CONTROL, 'Cross-Origin-Resource-Policy': 'cross-origin' },
        },
        (error?: Error) => {
          if (!error) return resolve();
          const status = (error as { status?: number; statusCode?: number }).status;
          if (res.headersSent) return resolve();
          res.removeHeader('Cache-Control');
          res.removeHeader('Content-Type');
          if (status === 404 || (error as NodeJS.ErrnoException).code === 'ENOENT') {
            return reject(new ApiError(404, ErrorMessage.notFound));
          }
          reject(error);
        },
      );
    });
  }
}
