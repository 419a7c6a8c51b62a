/** Room for the multipart boundaries and headers around the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export function maxUploadBytes(maxUploadMb: number): number {
  return Math.floor(maxUploadMb * 1024 * 1024);
}

/**
 * True when a declared Content-Length already proves the file is over the limit, so the
 * request can be refused before a byte of the body is read.
 */
export function contentLengthTooLarge(header: string | undefined, maxUploadMb: number): boolean {
  if (header === undefined || !/^\d+$/.test(header.trim())) return false;
  return Number(header) > maxUploadBytes(maxUploadMb) + MULTIPART_OVERHEAD_BYTES;
}
