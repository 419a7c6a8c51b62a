import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { LimitsModule } from '../limits/limits.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { GenerateController } from './generate.controller';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { QualitiesController } from './qualities.controller';
import { UploadGuardMiddleware } from './upload-guard.middleware';
import { WebhooksModule } from '../webhooks/webhooks.module';

/** HTTP intake: POST /api/generate (its upload guard and interceptor) and GET /api/qualities; the work is the task domain's. */
@Module({
  imports: [TasksModule, AccessModule, LimitsModule, StorageModule, WebhooksModule],
  controllers: [GenerateController, QualitiesController],
  providers: [ImageUploadInterceptor],
})
export class GenerateModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadGuardMiddleware).forRoutes({ path: 'api/generate', method: RequestMethod.POST });
  }
}
