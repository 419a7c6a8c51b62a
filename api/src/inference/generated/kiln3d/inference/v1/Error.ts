// Original file: proto/inference.proto

import type {
  ErrorCode as _kiln3d_inference_v1_ErrorCode,
  ErrorCode__Output as _kiln3d_inference_v1_ErrorCode__Output,
} from '../../../kiln3d/inference/v1/ErrorCode';

export interface Error {
  code?: _kiln3d_inference_v1_ErrorCode;
  message?: string;
}

export interface Error__Output {
  code: _kiln3d_inference_v1_ErrorCode__Output;
  message: string;
}
