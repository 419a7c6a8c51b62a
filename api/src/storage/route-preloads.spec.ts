import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EsbuildMetafile, SHARE_PAGE_ENTRY_POINT, lazyRouteChunks } from './route-preloads';

/** An esbuild metafile shaped as Angular's application builder writes it (dist/web/stats.json). */
const metafile: EsbuildMetafile = {
  outputs: {
    'main-VEHNCRTH.js': {
      entryPoint: 'web/src/main.ts',
      imports: [
        { path: 'chunk-ANGULAR1.js', kind: 'import-statement' },
        { path: 'chunk-SHARED01.js', kind: 'import-statement' },
        { path: 'chunk-SHAREPG1.js', kind: 'dynamic-import' },
        { path: 'chunk-OPSPAGE1.js', kind: 'dynamic-import' },
      ],
    },
    'chunk-ANGULAR1.js': { imports: [{ path: 'chunk-SHARED01.js', kind: 'import-statement' }] },
    'chunk-SHARED01.js': { imports: [] },
    'chunk-SHAREPG1.js': {
      entryPoint: SHARE_PAGE_ENTRY_POINT,
      imports: [
        { path: 'chunk-ANGULAR1.js', kind: 'import-statement' },
        { path: 'chunk-VIEWER01.js', kind: 'import-statement' },
      ],
    },
    'chunk-VIEWER01.js': {
      imports: [
        { path: 'chunk-THREEJS1.js', kind: 'import-statement' },
        { path: 'chunk-DOWNLOAD.js', kind: 'dynamic-import' },
        // A cycle, as chunks shared both ways make.
        { path: 'chunk-SHAREPG1.js', kind: 'import-statement' },
      ],
    },
    'chunk-THREEJS1.js': { imports: [{ path: 'chunk-SHARED01.js', kind: 'import-statement' }] },
    'chunk-DOWNLOAD.js': { entryPoint: 'web/src/app/features/viewer/download-menu.ts', imports: [] },
    'chunk-OPSPAGE1.js': { entryPoint: 'web/src/app/features/ops/ops-page.ts', imports: [] },
    'styles-7TYXPG57.css': { entryPoint: 'angular:styles/global:styles', imports: [] },
  },
};

void describe('the chunks a lazily loaded route needs (esbuild metafile)', () => {
  void it("follows the route's static imports, itself first, and leaves out what the app's entry imports already", () => {
    assert.deepEqual(lazyRouteChunks(metafile, SHARE_PAGE_ENTRY_POINT), [
      'chunk-SHAREPG1.js',
      'chunk-VIEWER01.js',
      'chunk-THREEJS1.js',
    ]);
  });

  void it('does not follow dynamic imports (they load later, on demand)', () => {
    assert.equal(lazyRouteChunks(metafile, SHARE_PAGE_ENTRY_POINT).includes('chunk-DOWNLOAD.js'), false);
    assert.deepEqual(lazyRouteChunks(metafile, 'web/src/app/features/ops/ops-page.ts'), [
      'chunk-OPSPAGE1.js',
    ]);
  });

  void it('gives nothing for an entry point the build does not have, and skips imports it does not list', () => {
    assert.deepEqual(lazyRouteChunks(metafile, 'web/src/app/features/gone/gone-page.ts'), []);
    const partial: EsbuildMetafile = {
      outputs: {
        'chunk-SHAREPG1.js': {
          entryPoint: SHARE_PAGE_ENTRY_POINT,
          imports: [{ path: 'chunk-MISSING1.js', kind: 'import-statement' }],
        },
      },
    };
    assert.deepEqual(lazyRouteChunks(partial, SHARE_PAGE_ENTRY_POINT), ['chunk-SHAREPG1.js']);
  });
});
