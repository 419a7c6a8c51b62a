import { ApiError } from '../common/api-error';

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

/** 413 mesh_too_large with the limit in MB; the connection closes after the answer. */
export function meshTooLargeError(maxMeshMb: number): ApiError<'mesh_too_large'> {
  return new ApiError('mesh_too_large', {
    params: { max_mesh_mb: maxMeshMb },
    headers: { Connection: 'close' },
  });
}

/** The most a POST /api/texture body may carry: both files at their limits and the multipart framing. */
export function textureBodyLimit(limits: { maxUploadMb: number; maxMeshMb: number }): number {
  return maxUploadBytes(limits.maxUploadMb) + maxUploadBytes(limits.maxMeshMb) + MULTIPART_OVERHEAD_BYTES;
}
