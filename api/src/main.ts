import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app-setup';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { createAppLogger } from './common/logging/winston-logger';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createAppLogger(config.logDir);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    bodyParser: false,
  });
  configureApp(app, config);
  const server = await app.listen(config.port);
  // Node's defaults never cut a long ?wait=true answer (server.timeout is 0); they only bound
  // how long a client may take to send its request (requestTimeout 300 s, headers 60 s).
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  new Logger('Bootstrap').log(
    `Kiln3D api listening on http://localhost:${port} (engine ${config.inferenceEngine}, ` +
      `redis ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}, static ${config.staticDir})`,
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Kiln3D api failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
