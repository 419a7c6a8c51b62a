import { ApiError } from '../../core/api/api-types';

/** The picture formats the server accepts. */
export type ImageKind = 'jpeg' | 'png' | 'webp';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(text: string): number[] {
  return [...text].map((char) => char.charCodeAt(0));
}

/** The picture's kind from its first bytes, as the server judges it: never from its name or type. */
export function sniffImageKind(head: Uint8Array): ImageKind | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, PNG_SIGNATURE)) return 'png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  return undefined;
}

/** The browser-side verdict on a file: its kind, or the error the server would answer (its status and code). */
export type UploadCheck = { ok: true; kind: ImageKind } | { ok: false; error: ApiError };

async function readHead(file: Blob, length: number): Promise<Uint8Array> {
  const slice = file.slice(0, length);
  if (typeof slice.arrayBuffer === 'function') return new Uint8Array(await slice.arrayBuffer());
  // Older engines (and some test DOMs) lack Blob.arrayBuffer.
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsArrayBuffer(slice);
  });
}

/** The ISO base media file brands (bytes 8-11 after `ftyp`) of HEIF/HEIC and AVIF photos. */
const PHOTO_BRANDS: Record<string, 'HEIC' | 'AVIF'> = {
  heic: 'HEIC',
  heix: 'HEIC',
  hevc: 'HEIC',
  hevx: 'HEIC',
  heim: 'HEIC',
  heis: 'HEIC',
  mif1: 'HEIC',
  msf1: 'HEIC',
  avif: 'AVIF',
  avis: 'AVIF',
};

/**
 * Whether the file is a HEIC (HEIF) or AVIF photo by its container's `ftyp` box (ISO/IEC 14496-12:
 * bytes 4-7 `ftyp`, 8-11 the major brand), whatever its name: what phones save that the server
 * does not take, and that some browsers cannot read to convert.
 */
export async function photoContainer(file: Blob): Promise<'HEIC' | 'AVIF' | undefined> {
  const head = await readHead(file, 12);
  if (head.length < 12) return undefined;
  const text = String.fromCharCode(...head.subarray(4, 12));
  return text.startsWith('ftyp') ? PHOTO_BRANDS[text.slice(4)] : undefined;
}

/** The kind of a whole file (or blob) from its first bytes, as the server judges it. */
export async function sniffFile(file: Blob): Promise<ImageKind | undefined> {
  return sniffImageKind(await readHead(file, 12));
}

/** The server's own checks, run before sending: size first (it stops reading there), then the bytes. */
export async function checkUpload(file: Blob, maxUploadMb: number): Promise<UploadCheck> {
  if (file.size > maxUploadMb * 1024 * 1024) {
    return { ok: false, error: { status: 413, code: 'file_too_large', error: '' } };
  }
  const kind = sniffImageKind(await readHead(file, 12));
  if (kind === undefined) return { ok: false, error: { status: 400, code: 'unsupported_image', error: '' } };
  return { ok: true, kind };
}

/** A name the server's logs can show; a pasted picture has none. */
export function uploadFileName(file: Blob & { name?: string }, kind: ImageKind): string {
  const name = file.name?.trim();
  if (name) return name;
  return `pasted.${kind === 'jpeg' ? 'jpg' : kind}`;
}
