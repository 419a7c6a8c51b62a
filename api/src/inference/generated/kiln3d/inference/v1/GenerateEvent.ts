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
import type {
  Preview as _kiln3d_inference_v1_Preview,
  Preview__Output as _kiln3d_inference_v1_Preview__Output,
} from '../../../kiln3d/inference/v1/Preview';
import type {
  ModelChunk as _kiln3d_inference_v1_ModelChunk,
  ModelChunk__Output as _kiln3d_inference_v1_ModelChunk__Output,
} from '../../../kiln3d/inference/v1/ModelChunk';

export interface GenerateEvent {
  progress?: _kiln3d_inference_v1_Progress | null;
  done?: _kiln3d_inference_v1_Done | null;
  error?: _kiln3d_inference_v1_Error | null;
  /**
   * zero or more, before the terminal event; the latest one wins
   */
  preview?: _kiln3d_inference_v1_Preview | null;
  /**
   * the model, in order, right before done
   */
  modelChunk?: _kiln3d_inference_v1_ModelChunk | null;
  event?: 'progress' | 'done' | 'error' | 'preview' | 'modelChunk';
}

export interface GenerateEvent__Output {
  progress?: _kiln3d_inference_v1_Progress__Output | null;
  done?: _kiln3d_inference_v1_Done__Output | null;
  error?: _kiln3d_inference_v1_Error__Output | null;
  /**
   * zero or more, before the terminal event; the latest one wins
   */
  preview?: _kiln3d_inference_v1_Preview__Output | null;
  /**
   * the model, in order, right before done
   */
  modelChunk?: _kiln3d_inference_v1_ModelChunk__Output | null;
  event?: 'progress' | 'done' | 'error' | 'preview' | 'modelChunk';
}
