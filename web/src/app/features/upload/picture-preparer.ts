import type { ApiError } from '../../core/api/api-types';
import { TARGET_LONG_SIDE_PX, decidePicture, encodeAttempts, targetSize } from './picture-plan';
import type { PictureChange } from './picture-summary';
import type { DrawnPicture, PictureTools } from './picture-tools';
import { ImageKind, photoContainer, sniffFile, uploadFileName } from './upload-validation';

/** A picture ready to send (kept, or scaled and what was done), or the error the server would answer. */
export type PreparedPicture =
  | { ok: true; blob: Blob; name: string; kind: ImageKind; change?: PictureChange }
  | {
      ok: false;
      error: ApiError;
      /** A HEIC or AVIF photo this browser could not read (so could not convert). */
      unreadablePhoto?: 'HEIC' | 'AVIF';
    };

const EXTENSIONS: Record<ImageKind, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

/** The file's name with the extension of what is now sent: IMG_0042.HEIC -> IMG_0042.jpg. */
export function renamed(file: Blob & { name?: string }, kind: ImageKind): string {
  const name = uploadFileName(file, kind);
  const stem = name.replace(/\.[^./\\]*$/, '') || 'picture';
  return `${stem}.${EXTENSIONS[kind]}`;
}

function refusal(code: 'unsupported_image' | 'file_too_large'): ApiError {
  return code === 'file_too_large' ? { status: 413, code, error: '' } : { status: 400, code, error: '' };
}

/**
 * Makes a picture fit what POST /api/generate accepts (decidePicture says when): a picture that
 * already fits is returned as it is, byte for byte; one that is too heavy, far larger than the
 * engine uses, or in a format the server does not take but this browser decodes (HEIC, AVIF) is
 * drawn upright at up to TARGET_LONG_SIDE_PX and encoded under the limit (encodeAttempts); what
 * cannot be made to fit is refused with the server's code before any upload. The server still
 * judges whatever is sent.
 */
export async function preparePicture(
  file: Blob & { name?: string },
  maxBytes: number,
  tools: PictureTools,
): Promise<PreparedPicture> {
  const kind = await sniffFile(file);
  // A picture that fits by kind and bytes is only decoded to learn its size.
  const picture = await tools.decode(file);
  try {
    const size = picture ? { width: picture.width, height: picture.height } : undefined;
    const decision = decidePicture({ bytes: file.size, maxBytes, kind, size });
    if (decision.action === 'refuse') {
      const unreadablePhoto =
        !picture && decision.code === 'unsupported_image' ? await photoContainer(file) : undefined;
      return { ok: false, error: refusal(decision.code), ...(unreadablePhoto ? { unreadablePhoto } : {}) };
    }
    if (decision.action === 'keep' || !picture) {
      return { ok: true, blob: file, name: uploadFileName(file, kind ?? 'jpeg'), kind: kind ?? 'jpeg' };
    }
    // One canvas per size: the transparency check's drawing is reused by the first encoding.
    let canvas: { key: string; drawn: DrawnPicture } | undefined;
    const drawAt = (target: { width: number; height: number }): DrawnPicture => {
      const key = `${target.width}x${target.height}`;
      if (canvas?.key !== key) canvas = { key, drawn: tools.draw(picture, target.width, target.height) };
      return canvas.drawn;
    };
    // JPEG has no transparency: no need to read its pixels to know.
    const transparent =
      kind !== 'jpeg' &&
      drawAt(targetSize(picture.width, picture.height, TARGET_LONG_SIDE_PX)).hasTransparency();
    for (const attempt of encodeAttempts(picture.width, picture.height, transparent)) {
      const target = targetSize(picture.width, picture.height, attempt.longSide);
      const blob = await drawAt(target).encode(attempt.type, attempt.quality);
      const sent = await sniffFile(blob);
      if (sent && blob.size <= maxBytes) return scaled(file, blob, sent, target, decision.reason, picture);
    }
    return { ok: false, error: refusal('file_too_large') };
  } finally {
    picture?.close();
  }
}

function scaled(
  file: Blob & { name?: string },
  blob: Blob,
  kind: ImageKind,
  target: { width: number; height: number },
  reason: PictureChange['reason'],
  source: { width: number; height: number },
): PreparedPicture {
  const from = { width: source.width, height: source.height, bytes: file.size };
  return {
    ok: true,
    blob,
    name: renamed(file, kind),
    kind,
    change: { reason, from, to: { ...target, bytes: blob.size, kind } },
  };
}
