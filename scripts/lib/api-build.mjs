/**
 * `node scripts/lib/api-build.mjs [--test] [--bundle-only]`: the api's build. `tsc` compiles api/ to CommonJS
 * (dist/api, or with --test dist/api-test: the api with its tests and benchmarks), then esbuild
 * bundles the compiled server, `main.js` and everything it loads at start, into one file beside
 * it, `main.bundle.js`, which is what runs (npm start, the Dockerfile, every test that starts the
 * api as a process).
 *
 * Why a bundle: the compiled api loads about 1,150 files at start (rxjs, Nest, its own modules),
 * and resolving, reading and compiling them one by one was most of a start's CPU. Measured on
 * this 2-core machine (docs/performance.md): 2.1-2.4 CPU-s to listening from main.js, 1.2-1.6 from
 * the bundle. `npm test` starts the api about 165 times.
 *
 * The bundle keeps tsc's output as it is (decorators and their `design:` metadata are emitted by
 * tsc, which esbuild cannot do from TypeScript), keeps class and function names (Nest's logs and
 * errors name classes), and gives every module its own `__dirname` and `__filename` (a module
 * that finds a file beside itself still finds it).
 */
import { spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, tscBin } from './ensure.mjs';

/** The bundle's name, beside the compiled main.js of a build. */
export const API_BUNDLE = 'main.bundle.js';
/** The compiled server of the production build (api/tsconfig.build.json) and of the test build (api/tsconfig.json). */
const API_DIST = join(ROOT, 'dist', 'api');
const API_TEST_SRC_DIST = join(ROOT, 'dist', 'api-test', 'src');

/**
 * Left out of the bundle, loaded from node_modules at run time as before:
 * - read files of their own package folder at run time: bull (its Lua scripts), swagger-ui-dist
 *   (Swagger UI's assets), sharp and @img/* (a native addon chosen by platform), piscina (the
 *   script of its worker threads);
 * - imported lazily, on the first use of a feature (execa: the sidecar and tools; jose: Cloudflare
 *   Access; meshoptimizer; the S3 client; prettier and openapi-typescript: the openapi script only),
 *   so a start does not parse them;
 * - optional packages Nest and others require inside a try and that this project does not install.
 */
const EXTERNAL = [
  'bull',
  'swagger-ui-dist',
  'sharp',
  '@img/*',
  'piscina',
  'execa',
  'jose',
  'meshoptimizer',
  '@aws-sdk/*',
  '@smithy/*',
  'prettier',
  'openapi-typescript',
  'gltf-validator',
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-socket.io',
  '@fastify/static',
  'class-transformer/storage',
];

/**
 * esbuild gives every module of a bundle the bundle's own `__dirname`; this plugin writes each
 * compiled module's folder back in, relative to the bundle (so the bundle may move with dist/).
 * Only the api's own compiled files are rewritten: packages that look up files beside themselves
 * are EXTERNAL.
 * @param {string} outDir the bundle's folder
 * @returns {import('esbuild').Plugin}
 */
function moduleDirnames(outDir) {
  return {
    name: 'kiln3d-module-dirnames',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        if (args.path.includes(`${join('/', 'node_modules')}/`) || !args.path.startsWith(outDir))
          return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!/\b__(?:dirname|filename)\b/.test(source)) return undefined;
        const dir = JSON.stringify(relative(outDir, dirname(args.path)));
        const file = JSON.stringify(relative(outDir, args.path));
        const contents =
          `const __kilnModuleDir = require('node:path').join(__dirname, ${dir});\n` +
          `const __kilnModuleFile = require('node:path').join(__dirname, ${file});\n` +
          source.replace(/\b__dirname\b/g, '__kilnModuleDir').replace(/\b__filename\b/g, '__kilnModuleFile');
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * Bundles `<dir>/main.js` (tsc's CommonJS output of api/src/main.ts) into `<dir>/main.bundle.js`.
 * @param {string} dir a compiled api's src folder (API_DIST or API_TEST_SRC_DIST)
 * @returns {Promise<{ bytes: number }>} the bundle's size
 * @throws esbuild's error (its message lists each file it could not resolve or parse)
 */
export async function bundleApi(dir) {
  const { build } = await import('esbuild');
  const outfile = join(dir, API_BUNDLE);
  const result = await build({
    entryPoints: [join(dir, 'main.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    keepNames: true,
    external: EXTERNAL,
    // Nest 12's packages are ES modules that read import.meta.url (createRequire): in a CommonJS
    // bundle it is the bundle's own URL, from which the same node_modules resolve.
    define: { 'import.meta.url': '__kilnBundleUrl' },
    banner: { js: "const __kilnBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [moduleDirnames(dir)],
    logLevel: 'error',
    write: false,
  });
  // Written whole, then renamed: an api starting meanwhile reads the old bundle or the new one.
  const [bundle] = result.outputFiles;
  const partial = `${outfile}.${process.pid}.partial`;
  await writeFile(partial, bundle.contents);
  renameSync(partial, outfile);
  return { bytes: bundle.contents.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const test = process.argv.includes('--test');
  // --bundle-only: tsc has compiled already (api/test/support/api-process.ts after `npx tsc -p api`).
  if (!process.argv.includes('--bundle-only')) {
    const project = test ? 'api' : join('api', 'tsconfig.build.json');
    const compiled = spawnSync(process.execPath, [tscBin(), '-p', project], { cwd: ROOT, stdio: 'inherit' });
    if (compiled.status !== 0) process.exit(compiled.status ?? 1);
  }
  const dir = test ? API_TEST_SRC_DIST : API_DIST;
  const { bytes } = await bundleApi(dir);
  console.log(`bundled ${relative(ROOT, join(dir, API_BUNDLE))}: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
}
