import type { PictureTools } from './picture-tools';

/** The formats the server takes: always offered by "Choose a picture". */
export const SERVER_PICTURE_TYPES = 'image/jpeg,image/png,image/webp';

/**
 * AVIF, offered where this browser decodes it (the page then converts it, docs/design.md); by
 * extension too, since some pickers give an AVIF file no type. HEIC is never offered: iOS Safari
 * converts a HEIC photo to JPEG on pick only while `accept` leaves HEIC out, and the browsers of
 * Android and of desktops other than Safari cannot decode HEIC (it would only be refused). The
 * camera input (`image/*`) is unaffected.
 */
const AVIF_TYPES = 'image/avif,.avif';

/** The `accept` of "Choose a picture": the server's formats, and AVIF where the browser decodes it. */
export function pictureAccept(decodesAvif: boolean): string {
  return decodesAvif ? `${SERVER_PICTURE_TYPES},${AVIF_TYPES}` : SERVER_PICTURE_TYPES;
}

/** A 1×1 grey AVIF (279 bytes, made by sharp), decoded once to learn whether AVIF is readable here. */
const TINY_AVIF =
  'AAAAHGZ0eXBhdmlmAAAAAG1pZjFhdmlmbWlhZgAAANZtZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAACJpbG9j' +
  'AAAAAERAAAEAAQAAAAAA+gABAAAAAAAAAB0AAAAjaWluZgAAAAAAAQAAABVpbmZlAgAAAAABAABhdjAxAAAAAA5waXRtAAAAAAABAAAAVmlw' +
  'cnAAAAA4aXBjbwAAAAxhdjFDgQAMAAAAABRpc3BlAAAAAAAAAAEAAAABAAAAEHBpeGkAAAAAAwgICAAAABZpcG1hAAAAAAAAAAEAAQOBAgMA' +
  'AAAlbWRhdBIACggYAAbICGg0IDIPGUeHhiGAAGgAACCQQM1A';

/**
 * Whether `tools` decode AVIF in this browser: the same decoder the page converts pictures with,
 * tried on a tiny AVIF (no guess from the user agent). False when decoding fails in any way.
 */
export async function decodesAvif(tools: PictureTools): Promise<boolean> {
  try {
    const bytes = Uint8Array.from(atob(TINY_AVIF), (c) => c.charCodeAt(0));
    const decoded = await tools.decode(new Blob([bytes], { type: 'image/avif' }));
    if (decoded === undefined) return false;
    // Read before close(): a closed ImageBitmap is 0 x 0.
    const readable = decoded.width === 1 && decoded.height === 1;
    decoded.close();
    return readable;
  } catch {
    return false;
  }
}
