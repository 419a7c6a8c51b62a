// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface Done {
  triangles?: number | string | Long;
  /**
   * Length of the model in bytes: the sum of the ModelChunk lengths.
   */
  bytes?: number | string | Long;
  seconds?: number | string;
  /**
   * Which engine made the model: "trellis2", "inflate" or "simulate".
   */
  engine?: string;
  /**
   * The seed the engine used (the request's, or the one it chose for 0); 0 when it uses none.
   */
  seed?: number | string | Long;
  /**
   * Request fields the engine ignored (it has no such setting): names of GenerateRequest's
   * fields among seed, pipeline_type, texture_size, faces, texture_resolution.
   */
  ignored?: string[];
  /**
   * SHA-256 of the model's bytes (32 bytes). The api keeps the model only when the chunks it
   * received have this length and digest.
   */
  sha256?: Buffer | Uint8Array | string;
}

export interface Done__Output {
  triangles: number;
  /**
   * Length of the model in bytes: the sum of the ModelChunk lengths.
   */
  bytes: number;
  seconds: number;
  /**
   * Which engine made the model: "trellis2", "inflate" or "simulate".
   */
  engine: string;
  /**
   * The seed the engine used (the request's, or the one it chose for 0); 0 when it uses none.
   */
  seed: number;
  /**
   * Request fields the engine ignored (it has no such setting): names of GenerateRequest's
   * fields among seed, pipeline_type, texture_size, faces, texture_resolution.
   */
  ignored: string[];
  /**
   * SHA-256 of the model's bytes (32 bytes). The api keeps the model only when the chunks it
   * received have this length and digest.
   */
  sha256: Buffer;
}
