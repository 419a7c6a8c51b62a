/**
 * `node scripts/lib/web-build.mjs`: the web app's production build, `ng build` into dist/web, then
 * a brotli (quality 11) and a gzip (level 9) copy beside each of its compressible files, which the
 * api serves as they are (api/src/storage/web-app.middleware.ts, express-static-gzip).
 *
 * Why at build time: brotli's best quality makes three.js's chunk 11 % smaller than the quality the
 * api can afford per request (5), but takes about a second of CPU for that one file; done here once,
 * every visitor gets the smaller file and the api compresses nothing of the app per request.
 * npm start (scripts/lib/ensure.mjs), npm test's web build job and the Dockerfile all build this way.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where `ng build` puts the files the api serves (angular.json, outputPath + browser/). */
export const WEB_BROWSER_DIR = join(ROOT, 'dist', 'web', 'browser');

/** Text the browser downloads; images other than SVG, fonts and models are compressed already. */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|txt|webmanifest)$/;
/** Below this a compressed copy saves less than its headers cost (the `compression` middleware's own threshold). */
const MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Writes `NAME.br` and `NAME.gz` beside every compressible file of `dir` (recursively) of at least
 * 1 kB; the files are compressed on libuv's thread pool, several at once.
 * @param {string} dir a web build's browser folder
 * @returns {Promise<{ files: number, bytes: number, brotliBytes: number }>} what was compressed:
 *   the number of files, their raw bytes and the sum of their brotli copies
 * @throws what reading or writing a file throws (ENOENT for a missing folder)
 */
export async function precompress(dir) {
  const sources = listFiles(dir).filter(
    (path) => COMPRESSIBLE.test(path) && statSync(path).size >= MIN_BYTES,
  );
  const sizes = await Promise.all(
    sources.map(async (path) => {
      const data = readFileSync(path);
      const [br, gz] = await Promise.all([
        brotli(data, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        }),
        gzipAsync(data, { level: constants.Z_BEST_COMPRESSION }),
      ]);
      await Promise.all([writeFile(`${path}.br`, br), writeFile(`${path}.gz`, gz)]);
      return { raw: data.length, br: br.length };
    }),
  );
  return {
    files: sizes.length,
    bytes: sizes.reduce((sum, s) => sum + s.raw, 0),
    brotliBytes: sizes.reduce((sum, s) => sum + s.br, 0),
  };
}

/** @param {string} dir @returns {string[]} every file below dir, compressed copies excluded */
function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() && !/\.(?:br|gz)$/.test(entry.name) ? [path] : [];
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ng = join(ROOT, 'node_modules', '@angular', 'cli', 'bin', 'ng.js');
  const built = spawnSync(process.execPath, [ng, 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
  const done = await precompress(WEB_BROWSER_DIR);
  console.log(
    `precompressed ${done.files} files: ${(done.bytes / 1024).toFixed(0)} kB raw, ` +
      `${(done.brotliBytes / 1024).toFixed(0)} kB brotli (quality 11)`,
  );
}
