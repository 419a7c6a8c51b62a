import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { Logger } from '@nestjs/common';
import { ErrorMessage } from '../common/api-error';

const logger = new Logger('WebApp');

/** Paths the web app never answers: the API and the models have their own routes (and 404s). */
export function isWebAppPath(path: string): boolean {
  return !(path === '/api' || path.startsWith('/api/') || path === '/static' || path.startsWith('/static/'));
}

/**
 * Serves the built Angular app from webDir at /: its files, and index.html for client routes
 * (/m/{uuid} and the like). Without a build, / answers 503 with the contract's error body
 * {"success": false, "error": "Web app not built"} instead of a 404; how to build it is logged
 * once, for the operator.
 */
export function webAppMiddleware(webDir: string): RequestHandler {
  let told = false;
  const files = express.static(webDir, {
    index: false,
    fallthrough: true,
    redirect: false,
    dotfiles: 'ignore',
  });
  const indexPath = join(webDir, 'index.html');
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isWebAppPath(req.path)) return next();
    if (!existsSync(indexPath)) {
      if (!told) {
        told = true;
        logger.warn(
          `the web app is not built (no ${indexPath}): build it (npm start does), or use /api/docs`,
        );
      }
      res.status(503).json({ success: false, error: ErrorMessage.webAppNotBuilt });
      return;
    }
    files(req, res, () => {
      // A missing asset (a name with an extension) is a 404, not the app.
      if (/\.[A-Za-z0-9]+$/.test(req.path)) return next();
      // Client route (no such file): the app's index.html, never cached, so deployments show at once.
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(indexPath, (error?: Error) => {
        if (error) next(error);
      });
    });
  };
}
