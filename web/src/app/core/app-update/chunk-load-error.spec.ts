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

  it('the ErrorHandler marks the page stale on a failed chunk the server no longer has only', async () => {
    TestBed.configureTestingModule({ providers: [StaleBuildErrorHandler] });
    const handler = TestBed.inject(StaleBuildErrorHandler);
    const stale = TestBed.inject(StaleBuild);
    const fetchFn = vi.fn(() => Promise.resolve(new Response(null, { status: 404 })));
    stale.fetchFn = fetchFn;
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    handler.handleError(new Error('something else'));
    await Promise.resolve();
    expect(fetchFn).not.toHaveBeenCalled();
    const failed = new TypeError(
      `Failed to fetch dynamically imported module: ${location.origin}/chunk-GONE.js`,
    );
    handler.handleError(failed);
    await vi.waitFor(() => expect(stale.stale()).toBe(true));
    expect(fetchFn).toHaveBeenCalledWith(
      `${location.origin}/chunk-GONE.js`,
      expect.objectContaining({ method: 'HEAD' }),
    );
    vi.restoreAllMocks();
  });

  it('a failed chunk while offline is not a stale build; asked again once back online', async () => {
    TestBed.configureTestingModule({ providers: [StaleBuildErrorHandler] });
    const handler = TestBed.inject(StaleBuildErrorHandler);
    const stale = TestBed.inject(StaleBuild);
    let online = false;
    const listeners = new Set<() => void>();
    stale.connectivity = {
      online: () => online,
      onOnline: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    };
    let answer: 'offline' | 404 = 'offline';
    const fetchFn = vi.fn(() =>
      answer === 'offline'
        ? Promise.reject(new TypeError('Failed to fetch'))
        : Promise.resolve(new Response(null, { status: answer })),
    );
    stale.fetchFn = fetchFn;
    stale.build = 'main-OLD.js';
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    handler.handleError({ code: -750, message: 'NG0750' }); // a @defer block, no file named
    await vi.waitFor(() => expect(listeners.size).toBe(1));
    expect(stale.stale()).toBe(false);
    // Back online, and meanwhile the app was updated: index.html names another build.
    online = true;
    answer = 404;
    fetchFn.mockImplementation(() =>
      Promise.resolve(new Response('<script src="main-NEW.js" type="module"></script>')),
    );
    for (const listener of [...listeners]) listener();
    await vi.waitFor(() => expect(stale.stale()).toBe(true));
    expect(listeners.size).toBe(0);
    vi.restoreAllMocks();
  });
});
