// Original file: proto/inference.proto

export const ServingState = {
  SERVING_STATE_UNSPECIFIED: 'SERVING_STATE_UNSPECIFIED',
  /**
   * loading weights or running the warm-up generation
   */
  LOADING: 'LOADING',
  /**
   * idle, accepts a job
   */
  READY: 'READY',
  /**
   * running a job
   */
  BUSY: 'BUSY',
  /**
   * the engine could not load; message says why
   */
  FAILED: 'FAILED',
} as const;

export type ServingState =
  | 'SERVING_STATE_UNSPECIFIED'
  | 0
  /**
   * loading weights or running the warm-up generation
   */
  | 'LOADING'
  | 1
  /**
   * idle, accepts a job
   */
  | 'READY'
  | 2
  /**
   * running a job
   */
  | 'BUSY'
  | 3
  /**
   * the engine could not load; message says why
   */
  | 'FAILED'
  | 4;

export type ServingState__Output = (typeof ServingState)[keyof typeof ServingState];
