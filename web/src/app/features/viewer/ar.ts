import { Object3D } from 'three';

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

/** A USDZ of the model, made in the browser by three's USDZExporter (loaded only when asked for). */
export async function exportUsdz(model: Object3D): Promise<Uint8Array<ArrayBuffer>> {
  const { USDZExporter } = await import('three/examples/jsm/exporters/USDZExporter.js');
  return new USDZExporter().parseAsync(model, { quickLookCompatible: true });
}

/** Opens the model in iOS Quick Look from a USDZ made on the spot. */
export async function openQuickLook(model: Object3D): Promise<void> {
  const usdz = await exportUsdz(model);
  const url = URL.createObjectURL(new Blob([usdz], { type: 'model/vnd.usdz+zip' }));
  const anchor = document.createElement('a');
  anchor.rel = 'ar';
  anchor.href = `${url}#allowsContentScaling=1`;
  // Quick Look only opens from an <a rel="ar"> whose first child is an image.
  anchor.appendChild(document.createElement('img'));
  anchor.click();
  // The viewer has read the blob by the time it shows; keep it a while for a slow start.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
