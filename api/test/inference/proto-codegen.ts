/**
 * Regenerates api/src/inference/generated/ from proto/inference.proto with proto-loader-gen-types,
 * formatted by the repo's prettier config. Run after a proto change:
 *   npx tsc -p api && node dist/api-test/test/inference/proto-codegen.js
 * generated-types.test.ts runs the same into a temp dir and fails on any difference.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import * as prettier from 'prettier';
import { GEN_TYPES_FLAGS, PROTO_FILE_NAME } from '../../src/inference/client/inference-proto';

export function findRepoRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', PROTO_FILE_NAME)) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

export const GENERATED_DIR = join('api', 'src', 'inference', 'generated');

export function listFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...listFiles(path));
    else found.push(path);
  }
  return found.sort();
}

export async function generateProtoTypes(root: string, outDir: string): Promise<void> {
  const generator = join(root, 'node_modules', '@grpc', 'proto-loader', 'build', 'bin', 'proto-loader-gen-types.js');
  await promisify(execFile)(
    process.execPath,
    [generator, ...GEN_TYPES_FLAGS, '-I', 'proto', '-O', outDir, PROTO_FILE_NAME],
    { cwd: root },
  );
  for (const file of listFiles(outDir)) {
    const options = (await prettier.resolveConfig(join(root, GENERATED_DIR, relative(outDir, file)))) ?? {};
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, await prettier.format(source, { ...options, filepath: file }));
  }
}

if (require.main === module) {
  const root = findRepoRoot();
  const outDir = join(root, GENERATED_DIR);
  rmSync(outDir, { recursive: true, force: true });
  generateProtoTypes(root, outDir).then(
    () => console.log(`regenerated ${relative(root, outDir)}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
