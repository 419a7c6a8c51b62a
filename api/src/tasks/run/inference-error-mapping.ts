import { CANCELLED_HTTP_STATUS, ErrorMessage } from '../../common/api-error';
import { InferenceError } from '../../inference/inference.repository';

export interface TaskFailure {
  httpStatus: number;
  message: string;
  cancelled: boolean;
  /** Not one of the expected outcomes: log it with its stack. */
  unexpected: boolean;
}

/** InferenceError codes to the HTTP contract's error table (docs/design.md, HTTP contract). */
export function mapInferenceError(error: unknown): TaskFailure {
  if (error instanceof InferenceError) {
    switch (error.code) {
      case 'TIMEOUT':
        return { httpStatus: 504, message: ErrorMessage.timeout, cancelled: false, unexpected: false };
      case 'OOM':
        return { httpStatus: 500, message: ErrorMessage.outOfMemory, cancelled: false, unexpected: false };
      case 'CANCELLED':
        return {
          httpStatus: CANCELLED_HTTP_STATUS,
          message: ErrorMessage.cancelled,
          cancelled: true,
          unexpected: false,
        };
      // The api already refused what does not decode, so the engine's verdict is about the
      // content: no object, too small or fully transparent once the background is removed.
      case 'INVALID_INPUT':
        return {
          httpStatus: 422,
          message: ErrorMessage.noObject,
          cancelled: false,
          unexpected: false,
        };
      case 'INTERNAL':
      case 'UNAVAILABLE':
        return { httpStatus: 500, message: ErrorMessage.internal, cancelled: false, unexpected: true };
    }
  }
  return { httpStatus: 500, message: ErrorMessage.internal, cancelled: false, unexpected: true };
}
