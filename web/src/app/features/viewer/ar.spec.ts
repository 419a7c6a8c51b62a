import { PlatformHints, detectArMode, openQuickLook, sceneViewerIntent } from './ar';

const base: PlatformHints = {
  userAgent: '',
  maxTouchPoints: 0,
  platform: 'Linux x86_64',
  supportsRelAr: false,
};

describe('AR', () => {
  it('offers Scene Viewer on Android, Quick Look on iOS (iPadOS too), nothing on desktops', () => {
    expect(detectArMode({ ...base, userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131' })).toBe(
      'scene-viewer',
    );
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15';
    expect(detectArMode({ ...base, userAgent: iphone, supportsRelAr: true })).toBe('quick-look');
    expect(detectArMode({ ...base, userAgent: iphone, supportsRelAr: false })).toBe('none');
    const ipad = { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)', platform: 'MacIntel' };
    expect(detectArMode({ ...base, ...ipad, maxTouchPoints: 5, supportsRelAr: true })).toBe('quick-look');
    expect(detectArMode({ ...base, ...ipad, maxTouchPoints: 0 })).toBe('none');
    expect(detectArMode({ ...base, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131' })).toBe('none');
  });

  it('builds a Scene Viewer intent with the absolute GLB URL and a way back', () => {
    const intent = sceneViewerIntent(
      'https://kiln.example.com/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.glb',
      'My model',
      'https://kiln.example.com/m/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a',
    );
    expect(intent.startsWith('intent://arvr.google.com/scene-viewer/1.2?')).toBe(true);
    const query = new URLSearchParams(intent.slice(intent.indexOf('?') + 1, intent.indexOf('#')));
    expect(query.get('file')).toBe(
      'https://kiln.example.com/static/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a.glb',
    );
    expect(query.get('mode')).toBe('ar_preferred');
    expect(query.get('title')).toBe('My model');
    expect(intent).toContain(';package=com.google.ar.core;');
    expect(intent).toContain(
      `S.browser_fallback_url=${encodeURIComponent('https://kiln.example.com/m/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a')};`,
    );
    expect(intent.endsWith(';end;')).toBe(true);
  });

  it("hands the server's USDZ to Quick Look through an <a rel=ar> holding an image", () => {
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    const url =
      'https://kiln.example.com/api/models/0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a/download?format=usdz';
    openQuickLook(url);
    expect(clicked).toHaveLength(1);
    const anchor = clicked[0] as HTMLAnchorElement;
    expect(anchor.rel).toBe('ar');
    expect(anchor.href).toBe(`${url}#allowsContentScaling=1`);
    expect(anchor.firstElementChild?.tagName).toBe('IMG');
    vi.restoreAllMocks();
  });
});
