import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isServableModelName, lodModelName } from './model-names';

/** The part of an esbuild metafile read here (https://esbuild.github.io/api/#metafile). */
export interface EsbuildMetafile {
  outputs: Record<string, { entryPoint?: string; imports?: { path: string; kind: string }[] }>;
}

/** The web app's first script (angular.json `browser`): Angular's index.html preloads its chunks already. */
export const APP_ENTRY_POINT = 'web/src/main.ts';
/**
 * The share page's lazily loaded component (web/src/app/app.routes.ts, `m/:id`): three.js and the
 * viewer, about 175 kB on the wire, which the router would only ask for once the app has booted.
 */
export const SHARE_PAGE_ENTRY_POINT = 'web/src/app/features/share/share-page.ts';

/**
 * The output files (names relative to the build's browser folder, e.g. "chunk-ARGHFW5S.js") that
 * the lazily loaded `entryPoint` imports statically, itself first, leaving out what `appEntry`
 * already imports statically (index.html preloads those). Dynamic imports are not followed:
 * they load later, on demand. Empty when the build has no such entry point.
 */
export function lazyRouteChunks(
  metafile: EsbuildMetafile,
  entryPoint: string,
  appEntry = APP_ENTRY_POINT,
): string[] {
  const outputs = Object.entries(metafile.outputs);
  const outputOf = (entry: string): string | undefined =>
    outputs.find(([, o]) => o.entryPoint === entry)?.[0];
  const staticClosure = (start: string | undefined): string[] => {
    const seen: string[] = [];
    const visit = (name: string): void => {
      if (seen.includes(name) || !(name in metafile.outputs)) return;
      seen.push(name);
      for (const i of metafile.outputs[name].imports ?? []) if (i.kind === 'import-statement') visit(i.path);
    };
    if (start !== undefined) visit(start);
    return seen;
  };
  const initial = new Set(staticClosure(outputOf(appEntry)));
  return staticClosure(outputOf(entryPoint)).filter((name) => !initial.has(name));
}

/**
 * The share page's index.html with what its first frame needs fetched at once (docs/performance.md,
 * issue 21): `<link rel="modulepreload">` for its lazily loaded chunks, so a phone fetches three.js
 * beside the app's first chunks instead of after the app booted, and `<link rel="preload"
 * as="fetch">` for the model's LOD (/static/{uuid}.lod.glb, what the viewer draws first), which
 * then arrives while the viewer's WebGL context is made. Each saves a round trip of the chain
 * HTML → app → route → chunk → model. Reads `<webDir>/index.html` and the metafile Angular writes
 * beside the browser folder (`<webDir>/../stats.json`, angular.json `statsJson`), again only when
 * either changed (a rebuild under a running api). Without a metafile, no chunk is preloaded.
 */
export class SharePageHtml {
  private cached: { key: string; html: string } | undefined;

  constructor(private readonly webDir: string) {}

  /**
   * The page's HTML for `/m/{id}`: `id` a model id (a UUID v4, either case) or anything else,
   * which the page itself refuses or finds no model for (no LOD preloaded then). Throws as readFileSync does when index.html
   * is missing.
   */
  html(id: string): string {
    const page = this.withChunks();
    // The page asks for the lower-case name (share-page.ts); a preload only serves the same URL,
    // and only a servable model name (a UUID v4) can be there at all.
    const lod = lodModelName(id.toLowerCase());
    if (!isServableModelName(lod)) return page;
    const link = `<link rel="preload" href="/static/${lod}" as="fetch" crossorigin>`;
    return page.includes('</head>') ? page.replace('</head>', `${link}</head>`) : page;
  }

  private withChunks(): string {
    const indexPath = join(this.webDir, 'index.html');
    const statsPath = join(dirname(this.webDir), 'stats.json');
    const key = `${mtimeOf(indexPath)}:${mtimeOf(statsPath)}`;
    if (this.cached?.key === key) return this.cached.html;
    const index = readFileSync(indexPath, 'utf8');
    let chunks: string[] = [];
    try {
      chunks = lazyRouteChunks(
        JSON.parse(readFileSync(statsPath, 'utf8')) as EsbuildMetafile,
        SHARE_PAGE_ENTRY_POINT,
      );
    } catch {
      // No metafile (a build without statsJson): the page works, its chunks come after boot.
    }
    const links = chunks
      .filter((name) => BUILD_SCRIPT_NAME.test(name))
      .map((name) => `<link rel="modulepreload" href="${name}">`)
      .join('');
    const html = links && index.includes('</body>') ? index.replace('</body>', `${links}</body>`) : index;
    this.cached = { key, html };
    return html;
  }
}

/** A build output beside index.html (chunk-ARGHFW5S.js): nothing else is written into the page. */
const BUILD_SCRIPT_NAME = /^[\w-]+\.m?js$/;

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}
