import { join } from 'node:path';
import { REPO_ROOT } from './env';

/** What scripts/lib/web-build.mjs's `precompress` reports: files compressed, their raw and brotli bytes. */
export interface Precompressed {
  files: number;
  bytes: number;
  brotliBytes: number;
}

/**
 * The web build step's own `precompress` (scripts/lib/web-build.mjs, an ES module: imported at run
 * time): writes NAME.br and NAME.gz beside each compressible file of `dir` of 1 kB or more.
 */
export async function precompress(dir: string): Promise<Precompressed> {
  const script = join(REPO_ROOT, 'scripts', 'lib', 'web-build.mjs');
  return ((await import(script)) as { precompress(dir: string): Promise<Precompressed> }).precompress(dir);
}
