import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { LimitsModule } from '../limits/limits.module';
import { TasksModule } from '../tasks/tasks.module';
import { GenerateController } from './generate.controller';
import { GenerateService } from './generate.service';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { UploadGuardMiddleware } from './upload-guard.middleware';

@Module({
  imports: [TasksModule, AccessModule, LimitsModule],
  controllers: [GenerateController],
  providers: [GenerateService, ImageUploadInterceptor],
})
export class GenerateModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadGuardMiddleware).forRoutes({ path: 'api/generate', method: RequestMethod.POST });
  }
}
