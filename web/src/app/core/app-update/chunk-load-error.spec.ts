import { TestBed } from '@angular/core/testing';

import { isChunkLoadError } from './chunk-load-error';
import { StaleBuild, StaleBuildErrorHandler } from './stale-build';

describe('isChunkLoadError', () => {
  it("knows each browser's failed dynamic import and Angular's failed @defer, also wrapped", () => {
    for (const message of [
      'Failed to fetch dynamically imported module: http://x/chunk-AB12.js',
      'error loading dynamically imported module: http://x/chunk-AB12.js',
      'Importing a module script failed.',
      'NG0750',
    ]) {
      expect(isChunkLoadError(new TypeError(message)), message).toBe(true);
    }
    expect(isChunkLoadError({ code: -750, message: '' })).toBe(true);
    const failed = new TypeError('Failed to fetch dynamically imported module: /chunk-1.js');
    expect(isChunkLoadError({ rejection: failed })).toBe(true); // an unhandled rejection
    expect(isChunkLoadError({ id: 3, url: '/m/x', error: failed })).toBe(true); // a NavigationError
  });

  it('leaves other errors alone', () => {
    expect(isChunkLoadError(new TypeError('Failed to fetch'))).toBe(false);
    expect(isChunkLoadError(new Error('x is undefined'))).toBe(false);
    expect(isChunkLoadError('Importing a module script failed.')).toBe(false);
    expect(isChunkLoadError(null)).toBe(false);
  });

  it('the ErrorHandler marks the page stale on a failed chunk only', () => {
    TestBed.configureTestingModule({ providers: [StaleBuildErrorHandler] });
    const handler = TestBed.inject(StaleBuildErrorHandler);
    const stale = TestBed.inject(StaleBuild);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    handler.handleError(new Error('something else'));
    expect(stale.stale()).toBe(false);
    handler.handleError({ code: -750, message: 'NG0750' });
    expect(stale.stale()).toBe(true);
    vi.restoreAllMocks();
  });
});
