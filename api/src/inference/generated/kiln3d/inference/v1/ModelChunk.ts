// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One piece of the finished GLB. The pieces arrive in order, each at most 1 MiB (well under
 * gRPC's default 4 MiB message limit), right before Done; their concatenation is the model.
 */
export interface ModelChunk {
  /**
   * Byte offset of `data` in the model: equal to the sum of the previous chunks' lengths.
   */
  offset?: number | string | Long;
  data?: Buffer | Uint8Array | string;
}

/**
 * One piece of the finished GLB. The pieces arrive in order, each at most 1 MiB (well under
 * gRPC's default 4 MiB message limit), right before Done; their concatenation is the model.
 */
export interface ModelChunk__Output {
  /**
   * Byte offset of `data` in the model: equal to the sum of the previous chunks' lengths.
   */
  offset: number;
  data: Buffer;
}
