/** Shared set-up of the inference medium tests: a Nest app around the real sidecar, inputs, checks. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, INestApplication, LoggerService, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import sharp from 'sharp';
import { AllExceptionsFilter } from '../../src/common/filters/all-exceptions.filter';
import { APP_CONFIG, AppConfig, loadConfig } from '../../src/config/app-config';
import { InferenceModule } from '../../src/inference/inference.module';
import { InferenceJob, InferenceRepository } from '../../src/inference/inference.repository';
import { SIDECAR_OPTIONS, type SidecarOptions } from '../../src/inference/sidecar/sidecar';
import { SAMPLES_DIR } from '../support/env';
import { findRepoRoot } from './proto-codegen';

export const ROOT = findRepoRoot();

/** Short timings so that restarts and kills happen within a test's patience. */
export const FAST_SIDECAR_OPTIONS: Partial<SidecarOptions> = {
  healthIntervalMs: 500,
  healthTimeoutMs: 1_500,
  unhealthyAfterFailures: 3,
  startupPollMs: 100,
  readyTimeoutMs: 60_000,
  backoffInitialMs: 300,
  backoffMaxMs: 2_000,
  stopGraceMs: 4_000,
  jobStopGraceMs: 1_500,
};

export interface LogEntry {
  level: string;
  context: string;
  message: string;
}

/** Keeps every line the app logs, so tests can look for the sidecar's own output. */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  private record(level: string, message: unknown, params: unknown[]): void {
    const context = params.length > 0 ? String(params[params.length - 1]) : '';
    this.entries.push({ level, context, message: String(message) });
    if (process.env.KILN_TEST_VERBOSE) console.log(`[${level}] ${context}: ${String(message)}`);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.record('log', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.record('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.record('error', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.record('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.record('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.record('fatal', message, params);
  }
  messages(context: string): string[] {
    return this.entries.filter((e) => e.context === context).map((e) => e.message);
  }
}

export function testConfig(env: Record<string, string>): AppConfig {
  return loadConfig(
    { INFERENCE_ENGINE: 'simulate', SIMULATE_SECONDS: '2', INFERENCE_DIR: join(ROOT, 'inference'), ...env },
    ROOT,
  );
}

class TestConfigModule {}

function configModule(config: AppConfig, options: Partial<SidecarOptions>): DynamicModule {
  return {
    module: TestConfigModule,
    global: true,
    providers: [
      { provide: APP_CONFIG, useValue: config },
      { provide: SIDECAR_OPTIONS, useValue: options },
    ],
    exports: [APP_CONFIG, SIDECAR_OPTIONS],
  };
}

@Module({})
class EmptyModule {}

export interface InferenceTestApp {
  app: INestApplication;
  repository: InferenceRepository;
  logger: CapturingLogger;
  baseUrl: string;
  close(): Promise<void>;
}

/** The InferenceModule in a Nest app listening on a free loopback port, as main.ts would run it. */
export async function startInferenceApp(
  config: AppConfig,
  options: Partial<SidecarOptions> = FAST_SIDECAR_OPTIONS,
): Promise<InferenceTestApp> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [configModule(config, options), InferenceModule, EmptyModule],
  }).compile();
  const app = moduleRef.createNestApplication({ logger });
  // The app's one exception filter, as AppModule registers it: errors get the contract's body.
  app.useGlobalFilters(new AllExceptionsFilter(config));
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let closed = false;
  return {
    app,
    repository: app.get(InferenceRepository),
    logger,
    baseUrl,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let cachedImage: Buffer | null = null;

/** A real sample picture, normalised like the api does (PNG), small so that inflate is quick. */
export async function sampleImage(): Promise<Buffer> {
  cachedImage ??= await sharp(readFileSync(join(SAMPLES_DIR, 'typical_misc_lantern.png')))
    .resize(256, 256, { fit: 'inside' })
    .png()
    .toBuffer();
  return cachedImage;
}

export async function makeJob(dir: string, overrides: Partial<InferenceJob> = {}): Promise<InferenceJob> {
  const taskId = randomUUID();
  return {
    taskId,
    image: await sampleImage(),
    modelPath: join(dir, `${taskId}.source.glb`),
    seed: 0,
    timeoutS: 30,
    ...overrides,
  };
}

interface GltfValidator {
  validateBytes(data: Uint8Array, options?: { maxIssues?: number }): Promise<{ issues: { numErrors: number } }>;
}

const gltfValidator = createRequire(__filename)('gltf-validator') as GltfValidator;

export async function gltfErrors(path: string): Promise<number> {
  const report = await gltfValidator.validateBytes(new Uint8Array(readFileSync(path)), { maxIssues: 100 });
  return report.issues.numErrors;
}


export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// Kept here for this folder's tests; it lives with the other process helpers.
export { isAlive } from '../support/env';
