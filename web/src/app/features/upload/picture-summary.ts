import type { MessageParams } from '../../core/i18n/i18n';
import type { MessageKey } from '../../core/i18n/messages';
import type { ImageKind } from './upload-validation';

/** What scaling did to a picture: its size before and after, and the format sent. */
export interface PictureChange {
  /** `format`: the original is not a format the server takes (HEIC, AVIF...) and was converted. */
  reason: 'bytes' | 'pixels' | 'format';
  from: { width: number; height: number; bytes: number };
  to: { width: number; height: number; bytes: number; kind: ImageKind };
}

/**
 * Bytes as a person reads them: MB (MiB, as MAX_UPLOAD_MB counts them) with one decimal from
 * 1 MB ("14.2 MB"), whole kB (KiB) below it ("12 kB"; never "0.0 MB" for a small converted photo).
 */
export function formatSize(bytes: number): string {
  const MB = 1024 * 1024;
  return bytes >= MB ? `${(bytes / MB).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

const FORMAT_NAMES: Record<ImageKind, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' };

/**
 * The line shown under the picture once it was scaled, compressed or converted, as a message and
 * its parameters: "Scaled 6000×4000, 14.2 MB → 3072×2048, 1.9 MB (JPEG)"; "Compressed" when only
 * the bytes changed (a picture over the size limit but not over the working size).
 */
export function describeChange(change: PictureChange): { key: MessageKey; params: MessageParams } {
  const side = (size: { width: number; height: number; bytes: number }) =>
    `${size.width}×${size.height}, ${formatSize(size.bytes)}`;
  const sameSize = change.from.width === change.to.width && change.from.height === change.to.height;
  return {
    key: change.reason === 'format' ? 'upload.converted' : sameSize ? 'upload.compressed' : 'upload.scaled',
    params: { from: side(change.from), to: side(change.to), format: FORMAT_NAMES[change.to.kind] },
  };
}
