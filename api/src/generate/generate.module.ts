import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module';
import { GenerateController } from './generate.controller';
import { GenerateService } from './generate.service';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { UploadGuardMiddleware } from './upload-guard.middleware';

@Module({
  imports: [TasksModule],
  controllers: [GenerateController],
  providers: [GenerateService, ImageUploadInterceptor],
})
export class GenerateModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadGuardMiddleware).forRoutes({ path: 'api/generate', method: RequestMethod.POST });
  }
}
