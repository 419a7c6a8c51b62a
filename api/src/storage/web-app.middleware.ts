import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constants as zlibConstants } from 'node:zlib';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import compression from 'compression';
import expressStaticGzip from 'express-static-gzip';
import { Logger } from '@nestjs/common';
import { errorBody } from '../common/api-error';
import { SharePageHtml } from './route-preloads';
import { sharePageModelId } from './model-names';

const logger = new Logger('WebApp');

/**
 * A build output named by its content (main-BS7YN6QQ.js, chunk-…, styles-….css), or its
 * precompressed copy (….js.br, ….js.gz, the path serve-static reports for those): never changes.
 */
const HASHED_ASSET = /-[A-Z0-9]{8}\.(?:js|mjs|css)(?:\.br|\.gz)?$/;
export const HASHED_ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html and any file without a hash in its name: kept, but revalidated before each use. */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';

/** Paths the web app never answers: the API, the models and /metrics have their own routes (and 404s). */
export function isWebAppPath(path: string): boolean {
  if (path === '/metrics') return false;
  return !(path === '/api' || path.startsWith('/api/') || path === '/static' || path.startsWith('/static/'));
}

/**
 * Serves the built Angular app from webDir at /: its files, and index.html for client routes
 * (/m/{uuid} and the like; the share page with its lazy chunks preloaded, SharePageHtml). Hashed build outputs are cached for a year as immutable, everything
 * else (index.html first) is revalidated, so a deployment shows at once. Answers are compressed
 * (brotli, else gzip, as Accept-Encoding allows): the app's JavaScript is about 1.07 MB raw and
 * 0.25 MB compressed, which on a phone's 10 Mbps is 0.85 s against 0.2 s before the first frame
 * (docs/performance.md). The build's own copies (NAME.br at brotli's quality 11, NAME.gz; written by
 * scripts/lib/web-build.mjs) are sent as they are (express-static-gzip, which lists them when the
 * api starts); anything else, a file built after the start or by a bare `ng build` and index.html,
 * is compressed per request (the `compression` middleware, brotli quality 5). Only the app's own files are
 * compressed here: the models are meshopt-encoded and served with byte ranges elsewhere, and an
 * event stream must never sit in a compressor's buffer. Without a build, / answers 503 with the
 * contract's error body {"success": false, "error": "Web app not built"} instead of a 404; how to
 * build it is logged once, for the operator.
 */
export function webAppMiddleware(webDir: string): RequestHandler {
  let told = false;
  const files = expressStaticGzip(webDir, {
    enableBrotli: true,
    // Brotli's copy is the smaller one; a browser that takes both gets it, whatever its q-values.
    orderPreference: ['br', 'gzip'],
    index: false,
    serveStatic: {
      index: false,
      fallthrough: true,
      redirect: false,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader(
          'Cache-Control',
          HASHED_ASSET.test(path) ? HASHED_ASSET_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL,
        );
      },
    },
  });
  // For what has no precompressed copy. Brotli quality 5: 7 % smaller than the default 4 on
  // three.js's chunk (146.7 against 157.9 kB; 4 is no smaller than gzip) for about the same
  // 20-50 ms once per file and visitor; quality 11 (129.9 kB) takes a second: the build's job.
  const compress = compression({ brotli: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } } });
  const indexPath = join(webDir, 'index.html');
  const sharePage = new SharePageHtml(webDir);
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isWebAppPath(req.path)) return next();
    compress(req, res, (error?: unknown) => {
      if (error) return next(error);
      serve(req, res, next);
    });
  };

  function serve(req: Request, res: Response, next: NextFunction): void {
    if (!existsSync(indexPath)) {
      if (!told) {
        told = true;
        logger.warn(
          `the web app is not built (no ${indexPath}): build it (npm start does), or use /api/docs`,
        );
      }
      res.status(503).json(errorBody('web_app_not_built'));
      return;
    }
    files(req, res, () => {
      // Not served after all (a copy listed at the start and gone with a rebuild): the headers
      // express-static-gzip set for that copy would mislabel whatever answers instead.
      res.removeHeader('Content-Encoding');
      res.removeHeader('Content-Type');
      // A missing asset (a name with an extension) is a 404, not the app.
      if (/\.[A-Za-z0-9]+$/.test(req.path)) return next();
      // Client route (no such file): the app's index.html.
      res.setHeader('Cache-Control', REVALIDATE_CACHE_CONTROL);
      const shared = sharePageModelId(req.path);
      if (shared !== undefined) {
        // With its chunks and LOD preloaded; express's ETag keeps a revalidation a 304.
        let html: string;
        try {
          html = sharePage.html(shared);
        } catch (error) {
          return next(error);
        }
        res.type('html').send(html);
        return;
      }
      res.sendFile(indexPath, (error?: Error) => {
        if (error) next(error);
      });
    });
  }
}
