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
}
