import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/env';

/** The Chromium the rows drive and its flags: the browser suites' own (test/support/chromium.ts). */
export { CHROMIUM, CHROMIUM_ARGS } from '../../test/support/chromium';

/** The web build (`ng build`) the rows' api serves. */
export const WEB_DIR = join(REPO_ROOT, 'dist', 'web', 'browser');

/** Throws unless `webDir` holds a web build (its index.html). */
export function requireWebBuild(webDir: string = WEB_DIR): void {
  if (!existsSync(join(webDir, 'index.html'))) throw new Error(`${webDir} is missing: build the web app`);
}
