import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './app-setup';
import { loadConfig } from './config/app-config';

/**
 * The OpenAPI JSON of the api, built in Nest's preview mode (no provider runs: no Redis, no
 * sidecar), from the default configuration so the file does not depend on the environment.
 */
export async function renderOpenApiJson(): Promise<string> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(loadConfig({}, '/')), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    const json = JSON.stringify(buildOpenApiDocument(app), null, 2);
    // Formatted as the repository's Prettier would, so the format check passes on it as written.
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(__filename)) ?? {};
    return prettier.format(json, { ...options, parser: 'json' });
  } finally {
    await app.close();
  }
}

/** `node dist/api/openapi.js [out]` writes api/openapi.json (or out). */
if (require.main === module) {
  const out = resolve(process.argv[2] ?? 'api/openapi.json');
  renderOpenApiJson().then(
    (json) => {
      writeFileSync(out, json);
      process.stdout.write(`wrote ${out}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
