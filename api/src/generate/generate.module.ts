import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { Clock } from '../common/clock';
import { LimitsModule } from '../limits/limits.module';
import { StorageModule } from '../storage/storage.module';
import { TasksModule } from '../tasks/tasks.module';
import { GenerateController } from './generate.controller';
import { GenerateService } from './generate.service';
import { ImageUploadInterceptor } from './image-upload.interceptor';
import { QualitiesController } from './qualities.controller';
import { QualityPresetsService } from './quality-presets.service';
import { RepeatRegistry } from './repeat-registry';
import { UploadGuardMiddleware } from './upload-guard.middleware';

@Module({
  imports: [TasksModule, AccessModule, LimitsModule, StorageModule],
  controllers: [GenerateController, QualitiesController],
  providers: [GenerateService, QualityPresetsService, ImageUploadInterceptor, RepeatRegistry, Clock],
})
export class GenerateModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UploadGuardMiddleware).forRoutes({ path: 'api/generate', method: RequestMethod.POST });
  }
}
