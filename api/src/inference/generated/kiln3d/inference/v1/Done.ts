// Original file: proto/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface Done {
  outputPath?: string;
  triangles?: number | string | Long;
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
   * fields among seed, pipeline_type, texture_size, faces.
   */
  ignored?: string[];
}

export interface Done__Output {
  outputPath: string;
  triangles: number;
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
   * fields among seed, pipeline_type, texture_size, faces.
   */
  ignored: string[];
}
