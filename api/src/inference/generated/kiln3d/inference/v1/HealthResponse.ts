// Original file: proto/inference.proto

import type {
  ServingState as _kiln3d_inference_v1_ServingState,
  ServingState__Output as _kiln3d_inference_v1_ServingState__Output,
} from '../../../kiln3d/inference/v1/ServingState';
import type {
  AuthState as _kiln3d_inference_v1_AuthState,
  AuthState__Output as _kiln3d_inference_v1_AuthState__Output,
} from '../../../kiln3d/inference/v1/AuthState';
import type { Long } from '@grpc/proto-loader';

export interface HealthResponse {
  state?: _kiln3d_inference_v1_ServingState;
  /**
   * Engine actually loaded: "trellis2", "inflate" or "simulate".
   */
  engine?: string;
  /**
   * "cuda:0 (NVIDIA GeForce RTX 4090)" or "cpu".
   */
  device?: string;
  vramUsedBytes?: number | string | Long;
  vramTotalBytes?: number | string | Long;
  jobsDone?: number | string | Long;
  message?: string;
  pid?: number;
  version?: string;
  /**
   * Whether Generate would accept this call's secret: AUTH_OK (it matches, or the sidecar has
   * none), AUTH_MISSING (the sidecar requires one and the call sent none) or AUTH_WRONG.
   */
  auth?: _kiln3d_inference_v1_AuthState;
  /**
   * How this engine paints an uploaded mesh (GenerateRequest.mesh), in words for /api/health:
   * e.g. TRELLIS.2's texturing pipeline, or the CPU engine's projection of the picture.
   */
  texturing?: string;
  /**
   * The request options this engine never uses, whatever their values, by kind of job (names of
   * GenerateRequest's fields, as in Done.ignored), known before any job so a page can say so up
   * front. A job's Done.ignored may name more (e.g. a texture_size over the engine's largest).
   */
  unusedGenerationOptions?: string[];
  unusedTextureOptions?: string[];
}

export interface HealthResponse__Output {
  state: _kiln3d_inference_v1_ServingState__Output;
  /**
   * Engine actually loaded: "trellis2", "inflate" or "simulate".
   */
  engine: string;
  /**
   * "cuda:0 (NVIDIA GeForce RTX 4090)" or "cpu".
   */
  device: string;
  vramUsedBytes: number;
  vramTotalBytes: number;
  jobsDone: number;
  message: string;
  pid: number;
  version: string;
  /**
   * Whether Generate would accept this call's secret: AUTH_OK (it matches, or the sidecar has
   * none), AUTH_MISSING (the sidecar requires one and the call sent none) or AUTH_WRONG.
   */
  auth: _kiln3d_inference_v1_AuthState__Output;
  /**
   * How this engine paints an uploaded mesh (GenerateRequest.mesh), in words for /api/health:
   * e.g. TRELLIS.2's texturing pipeline, or the CPU engine's projection of the picture.
   */
  texturing: string;
  /**
   * The request options this engine never uses, whatever their values, by kind of job (names of
   * GenerateRequest's fields, as in Done.ignored), known before any job so a page can say so up
   * front. A job's Done.ignored may name more (e.g. a texture_size over the engine's largest).
   */
  unusedGenerationOptions: string[];
  unusedTextureOptions: string[];
}
