import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { LimitsModule } from '../limits/limits.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { GenerateController } from './generate.controller';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { QualitiesController } from './qualities.controller';
import { TextureUploadGuardMiddleware, UploadGuardMiddleware } from './upload-guard.middleware';
import { MeshUploadInterceptor } from './mesh-upload.interceptor';
import { TextureController } from './texture.controller';
import { WebhooksModule } from '../webhooks/webhooks.module';

/**
 * HTTP intake: POST /api/generate and POST /api/texture (their upload guards and interceptors) and
 * GET /api/qualities; the work is the task domain's.
 */
@Module({
  imports: [TasksModule, AccessModule, LimitsModule, StorageModule, WebhooksModule],
  controllers: [GenerateController, TextureController, QualitiesController],
  providers: [ImageUploadInterceptor, MeshUploadInterceptor],
})
export class GenerateModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadGuardMiddleware).forRoutes({ path: 'api/generate', method: RequestMethod.POST });
    consumer
      .apply(TextureUploadGuardMiddleware)
      .forRoutes({ path: 'api/texture', method: RequestMethod.POST });
  }
}
