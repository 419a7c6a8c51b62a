// Original file: proto/inference.proto

import type {
  Stage as _kiln3d_inference_v1_Stage,
  Stage__Output as _kiln3d_inference_v1_Stage__Output,
} from '../../../kiln3d/inference/v1/Stage';

export interface Progress {
  stage?: _kiln3d_inference_v1_Stage;
  /**
   * Overall progress of the job, 0-100, never decreasing within one job.
   */
  percent?: number | string;
  /**
   * Human-readable detail, e.g. "sampling 7/12".
   */
  message?: string;
}

export interface Progress__Output {
  stage: _kiln3d_inference_v1_Stage__Output;
  /**
   * Overall progress of the job, 0-100, never decreasing within one job.
   */
  percent: number;
  /**
   * Human-readable detail, e.g. "sampling 7/12".
   */
  message: string;
}
