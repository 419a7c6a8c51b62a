import { Controller, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiError } from '../../common/api-error';
import { AccessModule } from '../../access/access.module';
import { AdminTokenGuard } from '../../access/admin-token.guard';

/**
 * POST /api/admin/inference/restart on an api-only process (KILN_ROLE=api), which runs no
 * sidecar: 409 sidecar_not_managed after the admin token, as for a remote sidecar, instead of
 * the bare 404 of a route that is not there. A worker's sidecar is restarted from here with POST
 * /api/admin/workers/{worker_id}/inference/restart (ops/worker-restart). Left out of the OpenAPI
 * document: InferenceAdminController documents the route.
 */
@ApiExcludeController()
@Controller('api/admin/inference')
export class NoSidecarAdminController {
  @Post('restart')
  @HttpCode(202)
  @UseGuards(AdminTokenGuard)
  restart(): never {
    throw new ApiError('sidecar_not_managed');
  }
}

/** What an api-only process has of the inference admin routes (AppModule imports it there). */
@Module({
  imports: [AccessModule],
  controllers: [NoSidecarAdminController],
  providers: [AdminTokenGuard],
})
export class NoSidecarAdminModule {}
