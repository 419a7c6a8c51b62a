import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/env';

/** The Chromium the rows drive: Debian's (`apt-get install chromium`), or KILN_CHROMIUM. */
export const CHROMIUM = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium's flags in every row: WebGL on SwiftShader (these machines have no GPU). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--no-sandbox',
];

/** The web build (`ng build`) the rows' api serves. */
export const WEB_DIR = join(REPO_ROOT, 'dist', 'web', 'browser');

/** Throws unless `webDir` holds a web build (its index.html). */
export function requireWebBuild(webDir: string = WEB_DIR): void {
  if (!existsSync(join(webDir, 'index.html'))) throw new Error(`${webDir} is missing: build the web app`);
}
