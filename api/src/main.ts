import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, servesHttp, type AppConfig } from './config/app-config';
import { checkPortFree, describeListenFailure, findFreePortAfter } from './config/listen-failure';
import { errorMessage } from './common/error-message';
import { makeFolder } from './common/make-folder';
import { missingRedisDatabase } from './redis/redis-database-check';
import { ModelStoreUnavailableError } from './storage/model-store';

/** Longest a graceful stop may take: the running job's wind-down (15 s) plus the sidecar's stop. */
const SHUTDOWN_LIMIT_S = 30;

function modelsLocation(config: AppConfig): string {
  return config.storage.kind === 's3'
    ? `s3://${config.storage.bucket}/${config.storage.prefix}`
    : config.staticDir;
}

/** The engine as the start line names it: a remote sidecar's own KILN_ENGINE decides, not this api. */
function engineLabel(config: AppConfig): string {
  return config.inferenceUrl === undefined
    ? config.inferenceEngine
    : `the remote sidecar's at ${config.inferenceUrl}`;
}

/** The api could not listen (describeListenFailure says why); everything it started is closed. */
class ListenFailure extends Error {}

/** A setting that passed its own check but cannot work on this machine: one line, no stack. */
class StartRefusal extends Error {}

/** Where the server listens, as a URL to quote: every interface reads "every interface". */
function listenUrl(host: string, port: number): string {
  if (host === '::' || host === '0.0.0.0') return `http://localhost:${port} (every interface, ${host})`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

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
  const listenFailure = async (error: unknown): Promise<ListenFailure> =>
    new ListenFailure(
      describeListenFailure(
        error,
        config.port,
        config.host,
        await findFreePortAfter(config.port, config.host),
      ),
    );
  if (servesHttp(config)) {
    // A taken port (a second `npm start`) is said before anything starts: no sidecar, no log.
    await checkPortFree(config.port, config.host).catch(async (error: unknown) => {
      throw await listenFailure(error);
    });
  }
  // The log folder and a database the Redis server lacks are said in one line, before anything
  // starts (a stack trace, or ioredis silently using database 0, otherwise).
  try {
    makeFolder(config.logDir);
  } catch (error) {
    throw new StartRefusal(
      `the log folder ${config.logDir} (LOG_DIR) cannot be used: ${errorMessage(error)}`,
    );
  }
  const missingDatabase = await missingRedisDatabase(config.redisUrl);
  if (missingDatabase !== undefined) throw new StartRefusal(missingDatabase);
  // The framework and the app's modules load only now, once the configuration is valid: a bad
  // variable is reported in a tenth of the CPU time (0.07 instead of 0.9 s here), and every test
  // that provokes one skips parsing them. One after another: Node 20 cannot require() an ES
  // module (Nest's) while a parallel import() of it is still loading.
  const { Logger } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module.js');
  const { configureApp } = await import('./app-setup.js');
  const { createAppLogger } = await import('./common/logging/winston-logger.js');
  const { applyServerLimits } = await import('./common/http-server-limits.js');
  const { GpuWorkerSupervisor, followSupervisor, gpuWorkerPlans } =
    await import('./tasks/workers/gpu-workers.js');
  if (config.gpus.length > 0) {
    // KILN_GPUS: this process's sidecar takes the first GPU; the others get a worker each (below).
    process.env.CUDA_VISIBLE_DEVICES = config.gpus[0];
  }
  followSupervisor();
  const logger = createAppLogger(config.logDir, config.logMaxBytes);
  const gpuWorkers = new GpuWorkerSupervisor(
    gpuWorkerPlans(config, process.env, process.pid),
    process.argv[1],
    new Logger('GpuWorkers'),
  );
  // A stop must end even when a shutdown hook cannot (e.g. Bull waiting for an unreachable Redis).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void gpuWorkers.stop(SHUTDOWN_LIMIT_S * 1000);
      setTimeout(() => {
        process.stderr.write(`Kiln3D api: shutdown took over ${SHUTDOWN_LIMIT_S} s, exiting\n`);
        process.exit(1);
      }, SHUTDOWN_LIMIT_S * 1000).unref();
    });
  }
  if (!servesHttp(config)) {
    // KILN_ROLE=worker: a GPU box that serves no HTTP; it takes jobs and announces itself in Redis.
    // An application context, not an HTTP app: no express, no routes mapped (a worker's log once
    // listed every route it never served). Nest's create initialises it.
    const context = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger });
    context.enableShutdownHooks();
    gpuWorkers.start();
    new Logger('Bootstrap').log(
      `Kiln3D worker started (no HTTP; engine ${engineLabel(config)}, ` +
        `redis ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}, models ${modelsLocation(config)})`,
    );
    return;
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    bodyParser: false,
  });
  configureApp(app, config);
  // Before listening: the timeouts' check starts with the server (common/http-server-limits.ts).
  const trustProxy = app.getHttpAdapter().getInstance().get('trust proxy fn') as (
    address: string,
    hop: number,
  ) => boolean;
  applyServerLimits(app.getHttpServer(), config, (address) => trustProxy(address, 0));
  // The modules' start (the store check, the sidecar) on its own: its errors are not the socket's.
  await app.init();
  // HOST unset: every interface (Node's default), as `npm start` on a LAN has always served.
  let server: Awaited<ReturnType<typeof app.listen>>;
  try {
    server =
      config.host === undefined ? await app.listen(config.port) : await app.listen(config.port, config.host);
  } catch (error) {
    // Nothing may outlive a failed listen: the sidecar and its folder, this process's entry in
    // the worker registry (which a running api would count for its lease), the queue's clients.
    await app.close().catch(() => undefined);
    throw await listenFailure(error);
  }
  gpuWorkers.start();
  // The limits never cut a long ?wait=true answer or an event stream (server.timeout is 0); they
  // only bound how long a client may take to send its request (REQUEST_TIMEOUT_S, HEADERS_TIMEOUT_S).
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = typeof address === 'object' && address !== null ? address.address : (config.host ?? '::');
  new Logger('Bootstrap').log(
    `Kiln3D api listening on ${listenUrl(host, port)} (engine ${engineLabel(config)}, ` +
      `redis ${config.redisUrl.replace(/\/\/[^@]*@/, '//***@')}, models ${modelsLocation(config)})`,
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ListenFailure || error instanceof StartRefusal) {
    process.stderr.write(`Kiln3D api: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof ModelStoreUnavailableError) {
    process.stderr.write(`Kiln3D api: model storage unavailable: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `Kiln3D api failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
