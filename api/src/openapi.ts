import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './app-setup';
import { renderErrorTableMarkdown, replaceMarkedBlock } from './common/error-table';
import { loadConfig } from './config/app-config';

/** Formatted as the repository's Prettier would, so the format check passes on it as written. */
async function prettierFormat(text: string, parser: 'json' | 'typescript'): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(__filename)) ?? {};
  return prettier.format(text, { ...options, parser });
}

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
    return await prettierFormat(JSON.stringify(buildOpenApiDocument(app), null, 2), 'json');
  } finally {
    await app.close();
  }
}

/** Where the web app's types generated from the OpenAPI document live (never edited by hand). */
export const WEB_API_TYPES_PATH = join('web', 'src', 'app', 'core', 'api', 'generated', 'openapi.ts');

const WEB_API_TYPES_HEADER =
  '// Generated from api/openapi.json by openapi-typescript (`node dist/api/openapi.js`); do not edit.\n' +
  '// api/test/medium/openapi.test.ts fails when it differs from what the document generates.\n';

/** The web app's TypeScript types of the document (openapi-typescript: paths, components, operations). */
export async function renderWebApiTypes(openApiJson: string): Promise<string> {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const ast = await openapiTS(JSON.parse(openApiJson) as Parameters<typeof openapiTS>[0], {
    silent: true,
    // Runtime lists of the enums too (e.g. the error codes), so the page can tell a code it knows.
    enumValues: true,
  });
  return prettierFormat(WEB_API_TYPES_HEADER + astToString(ast), 'typescript');
}

/** The Markdown files whose error table is rendered from common/error-table.ts, from the repository root. */
export const ERROR_TABLE_DOCS = [join('docs', 'design.md'), 'README.md'] as const;

/** A Markdown file with its `error-table` block rendered from the error table. */
export function renderErrorTableDoc(current: string): string {
  return replaceMarkedBlock(current, 'error-table', renderErrorTableMarkdown());
}

/**
 * Every file generated from the api's contract, as it should read, by path from the repository
 * root: api/openapi.json, the web app's generated types, and the docs' error tables.
 */
export async function renderContractFiles(root: string): Promise<Map<string, string>> {
  const json = await renderOpenApiJson();
  const files = new Map<string, string>([
    [join('api', 'openapi.json'), json],
    [WEB_API_TYPES_PATH, await renderWebApiTypes(json)],
  ]);
  for (const doc of ERROR_TABLE_DOCS)
    files.set(doc, renderErrorTableDoc(readFileSync(join(root, doc), 'utf8')));
  return files;
}

/**
 * `node dist/api/openapi.js` rewrites every generated contract file (renderContractFiles) in the
 * working directory, the repository root; `node dist/api/openapi.js out.json` writes only the
 * OpenAPI JSON, to out.json.
 */
async function main(out: string | undefined): Promise<void> {
  if (out !== undefined) {
    writeFileSync(resolve(out), await renderOpenApiJson());
    process.stdout.write(`wrote ${resolve(out)}\n`);
    return;
  }
  const root = process.cwd();
  for (const [path, text] of await renderContractFiles(root)) {
    writeFileSync(join(root, path), text);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (require.main === module) {
  main(process.argv[2]).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
