import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { Observable } from 'rxjs';
import { ApiError, fileTooLargeError } from '../common/api-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { mapMulterError, runMultipart } from './image-upload.interceptor';
import { maxUploadBytes, meshTooLargeError, textureBodyLimit } from './upload-limits';

/** The files of a POST /api/texture body as multer leaves them (at most one per field). */
export interface TextureFiles {
  mesh?: Express.Multer.File[];
  image?: Express.Multer.File[];
}

/**
 * Reads POST /api/texture's multipart body into memory: one file in "mesh" (at most MAX_MESH_MB)
 * and one in "image" (at most MAX_UPLOAD_MB), small text fields beside them. Errors mapped to the
 * contract: a file over its limit 413 (mesh_too_large for the mesh, file_too_large for the
 * picture; the connection closes after the answer), a file in another field or a second one 400
 * unexpected_mesh_file, any other malformed body 400 bad_request.
 */
@Injectable()
export class MeshUploadInterceptor implements NestInterceptor {
  private readonly upload: RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.upload = multer({
      storage: multer.memoryStorage(),
      limits: {
        // Per file: the larger limit here, each field's own below (multer has one fileSize).
        fileSize: Math.max(maxUploadBytes(config.maxUploadMb), maxUploadBytes(config.maxMeshMb)),
        files: 2,
        fields: 16,
        parts: 20,
        fieldSize: 64 * 1024,
      },
    }).fields([
      { name: 'mesh', maxCount: 1 },
      { name: 'image', maxCount: 1 },
    ]);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    await runMultipart(req, res, this.upload, {
      bodyLimit: textureBodyLimit(this.config),
      tooLarge: () => meshTooLargeError(this.config.maxMeshMb),
      mapError: (error) => this.mapError(error),
      check: () => this.checkSizes(req),
    });
    return next.handle();
  }

  /** Each file against its own limit (multer checked the larger one for both). */
  private checkSizes(req: Request): ApiError | undefined {
    const files = req.files as TextureFiles | undefined;
    const mesh = files?.mesh?.[0];
    const image = files?.image?.[0];
    if (mesh && mesh.size > maxUploadBytes(this.config.maxMeshMb))
      return meshTooLargeError(this.config.maxMeshMb);
    if (image && image.size > maxUploadBytes(this.config.maxUploadMb))
      return fileTooLargeError(this.config.maxUploadMb);
    return undefined;
  }

  private mapError(error: unknown): ApiError {
    if (error instanceof multer.MulterError) {
      if (error.code === 'LIMIT_FILE_SIZE') {
        return error.field === 'image'
          ? fileTooLargeError(this.config.maxUploadMb)
          : meshTooLargeError(this.config.maxMeshMb);
      }
      if (error.code === 'LIMIT_FILE_COUNT' || error.code === 'LIMIT_UNEXPECTED_FILE') {
        return new ApiError('unexpected_mesh_file');
      }
    }
    return mapMulterError(error, this.config.maxUploadMb);
  }
}
