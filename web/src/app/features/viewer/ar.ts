/** The AR viewer to hand the model to, if any. */
export type ArMode = 'scene-viewer' | 'quick-look' | 'none';

/** What AR detection needs to know about the device, so a spec can describe one. */
export interface PlatformHints {
  userAgent: string;
  maxTouchPoints: number;
  platform: string;
  /** Whether <a rel="ar"> is understood (iOS Safari and in-app WebKit views). */
  supportsRelAr: boolean;
}

/** This browser's hints. */
export function readPlatformHints(): PlatformHints {
  const anchor = document.createElement('a');
  return {
    userAgent: navigator.userAgent,
    maxTouchPoints: navigator.maxTouchPoints ?? 0,
    platform: navigator.platform ?? '',
    supportsRelAr: anchor.relList?.supports?.('ar') ?? false,
  };
}

/** Which AR viewer this device has: Android's Scene Viewer, iOS Quick Look, or none. */
export function detectArMode(hints: PlatformHints): ArMode {
  const ios =
    /iPad|iPhone|iPod/.test(hints.userAgent) || (hints.platform === 'MacIntel' && hints.maxTouchPoints > 1);
  if (ios) return hints.supportsRelAr ? 'quick-look' : 'none';
  if (/Android/i.test(hints.userAgent)) return 'scene-viewer';
  return 'none';
}

/**
 * Scene Viewer's intent URL. It downloads the model itself, so the GLB URL must be absolute
 * (built from location.origin); the fallback brings a phone without ARCore back to the page.
 */
export function sceneViewerIntent(absoluteGlbUrl: string, title: string, fallbackUrl: string): string {
  const query = new URLSearchParams({ file: absoluteGlbUrl, mode: 'ar_preferred', title });
  return (
    `intent://arvr.google.com/scene-viewer/1.2?${query.toString()}` +
    '#Intent;scheme=https;package=com.google.ar.core;action=android.intent.action.VIEW;' +
    `S.browser_fallback_url=${encodeURIComponent(fallbackUrl)};end;`
  );
}

/**
 * Opens a USDZ in iOS AR Quick Look: Safari hands an <a rel="ar"> whose first child is an image
 * to Quick Look, which downloads the file itself (so `usdzUrl` is absolute and served as
 * model/vnd.usdz+zip: the server's GET /api/models/{id}/download?format=usdz).
 */
export function openQuickLook(usdzUrl: string): void {
  const anchor = document.createElement('a');
  anchor.rel = 'ar';
  anchor.href = `${usdzUrl}#allowsContentScaling=1`;
  anchor.appendChild(document.createElement('img'));
  anchor.click();
}
