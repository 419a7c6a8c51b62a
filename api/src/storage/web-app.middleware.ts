import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';

/** Paths the web app never answers: the API and the models have their own routes (and 404s). */
export function isWebAppPath(path: string): boolean {
  return !(path === '/api' || path.startsWith('/api/') || path === '/static' || path.startsWith('/static/'));
}

/**
 * Serves the built Angular app from webDir at /: its files, and index.html for client routes
 * (/m/{uuid} and the like). Without a build, / says so plainly (503 text) instead of a 404.
 */
export function webAppMiddleware(webDir: string): RequestHandler {
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
      res
        .status(503)
        .type('text/plain')
        .send(
          `The web app is not built (no ${indexPath}). Build it (npm start does), or use the API at /api/docs.\n`,
        );
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
