// Original file: proto/inference.proto

import type {
  Progress as _kiln3d_inference_v1_Progress,
  Progress__Output as _kiln3d_inference_v1_Progress__Output,
} from '../../../kiln3d/inference/v1/Progress';
import type {
  Done as _kiln3d_inference_v1_Done,
  Done__Output as _kiln3d_inference_v1_Done__Output,
} from '../../../kiln3d/inference/v1/Done';
import type {
  Error as _kiln3d_inference_v1_Error,
  Error__Output as _kiln3d_inference_v1_Error__Output,
} from '../../../kiln3d/inference/v1/Error';

export interface GenerateEvent {
  progress?: _kiln3d_inference_v1_Progress | null;
  done?: _kiln3d_inference_v1_Done | null;
  error?: _kiln3d_inference_v1_Error | null;
  event?: 'progress' | 'done' | 'error';
}

export interface GenerateEvent__Output {
  progress?: _kiln3d_inference_v1_Progress__Output | null;
  done?: _kiln3d_inference_v1_Done__Output | null;
  error?: _kiln3d_inference_v1_Error__Output | null;
  event?: 'progress' | 'done' | 'error';
}
