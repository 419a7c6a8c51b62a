import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AccessModule } from '../access/access.module';
import { LimitsModule } from '../limits/limits.module';
import { TasksModule } from '../tasks/tasks.module';
import { FormatBuildsService } from './format-builds.service';
import { FormatConverter, PythonFormatConverter } from './format-converter';
import { FormatsController } from './formats.controller';
import { ModelDownloadsService } from './model-downloads.service';

/** A completed model in every format (docs/design.md, Formats): the download routes and the builds behind them. */
@Module({
  imports: [TasksModule, AccessModule, LimitsModule],
  controllers: [FormatsController],
  providers: [
    FormatBuildsService,
    ModelDownloadsService,
    {
      provide: FormatConverter,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new PythonFormatConverter(config.inferenceDir, config.formatTimeoutMs),
    },
  ],
  // The cleanup forgets the records of formats of the models it deleted (CleanupService).
  exports: [FormatBuildsService],
})
export class FormatsModule {}
