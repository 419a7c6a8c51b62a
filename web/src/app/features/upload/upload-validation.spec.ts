import { checkUpload, sniffImageKind, uploadFileName } from './upload-validation';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1];
const WEBP = [...'RIFF']
  .map((c) => c.charCodeAt(0))
  .concat(
    [0x24, 0, 0, 0],
    [...'WEBP'].map((c) => c.charCodeAt(0)),
  );

function file(bytes: number[], name: string, type = 'image/png', padTo = 0): File {
  const body = new Uint8Array(Math.max(bytes.length, padTo));
  body.set(bytes);
  return new File([body], name, { type });
}

describe('sniffImageKind', () => {
  it('recognises JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffImageKind(new Uint8Array(JPEG))).toBe('jpeg');
    expect(sniffImageKind(new Uint8Array(PNG))).toBe('png');
    expect(sniffImageKind(new Uint8Array(WEBP))).toBe('webp');
  });

  it('rejects other formats and truncated headers', () => {
    expect(sniffImageKind(new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]))).toBeUndefined(); // GIF
    expect(
      sniffImageKind(
        new Uint8Array(
          [...'RIFF'].map((c) => c.charCodeAt(0)).concat([0, 0, 0, 0], [0x41, 0x56, 0x49, 0x20]),
        ),
      ),
    ).toBeUndefined(); // AVI
    expect(sniffImageKind(new Uint8Array([0x89, 0x50, 0x4e]))).toBeUndefined();
    expect(sniffImageKind(new Uint8Array())).toBeUndefined();
  });
});

describe('checkUpload', () => {
  it('judges by content, not by name or type', async () => {
    expect(await checkUpload(file(PNG, 'photo.jpg', 'image/jpeg'), 10)).toEqual({ ok: true, kind: 'png' });
    expect(
      await checkUpload(
        file(
          [...'hello'].map((c) => c.charCodeAt(0)),
          'x.png',
        ),
        10,
      ),
    ).toEqual({
      ok: false,
      error: { status: 400, code: 'unsupported_image', error: '' },
    });
  });

  it("rejects over the limit with the server's status and code, and accepts exactly the limit", async () => {
    const limit = 1024 * 1024;
    expect(await checkUpload(file(JPEG, 'big.jpg', 'image/jpeg', limit + 1), 1)).toEqual({
      ok: false,
      error: { status: 413, code: 'file_too_large', error: '' },
    });
    expect((await checkUpload(file(JPEG, 'ok.jpg', 'image/jpeg', limit), 1)).ok).toBe(true);
  });

  it('checks size before content, as the server stops reading at the limit', async () => {
    const check = await checkUpload(file([1, 2, 3], 'huge.txt', 'text/plain', 11 * 1024 * 1024), 10);
    expect(check).toEqual({ ok: false, error: { status: 413, code: 'file_too_large', error: '' } });
  });
});

describe('uploadFileName', () => {
  it('keeps a real name and invents one for a pasted picture', () => {
    expect(uploadFileName(new File([], 'cat.webp'), 'webp')).toBe('cat.webp');
    expect(uploadFileName(new Blob([]), 'jpeg')).toBe('pasted.jpg');
  });
});
