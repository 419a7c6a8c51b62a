import { ERROR_TABLE, type ErrorCode } from '../../common/api-error';
import { InferenceError } from '../../inference/inference.repository';

/** How a task's job failed, as its failed snapshot says it (`error`, `http_status`, `error_code`). */
export interface TaskFailure {
  /** The error table's code (error-table.ts). */
  code: ErrorCode;
  httpStatus: number;
  message: string;
  cancelled: boolean;
  /** Not one of the expected outcomes: log it with its stack. */
  unexpected: boolean;
}

/** A failure by its row of the error table (a job's failures are never templated). */
function failure(
  code:
    | 'generation_timeout'
    | 'gpu_out_of_memory'
    | 'task_cancelled'
    | 'no_object'
    | 'engine_unavailable'
    | 'internal_error',
  unexpected = false,
): TaskFailure {
  const row = ERROR_TABLE[code];
  return {
    code,
    httpStatus: row.status,
    message: row.message,
    cancelled: code === 'task_cancelled',
    unexpected,
  };
}

/** InferenceError codes to the HTTP contract's error table (docs/design.md, HTTP contract). */
export function mapInferenceError(error: unknown): TaskFailure {
  if (error instanceof InferenceError) {
    switch (error.code) {
      case 'TIMEOUT':
        return failure('generation_timeout');
      case 'OOM':
        return failure('gpu_out_of_memory');
      case 'CANCELLED':
        return failure('task_cancelled');
      // The api already refused what does not decode, so the engine's verdict is about the
      // content: no object, too small or fully transparent once the background is removed.
      case 'INVALID_INPUT':
        return failure('no_object');
      // No sidecar to run it (failed to load, unreachable or not ready in time): the owner's
      // machine, not the job, and the log already says why.
      case 'UNAVAILABLE':
        return failure('engine_unavailable');
      // RESTARTED: TaskRunner runs a job an operator's restart killed again; never expected here.
      case 'INTERNAL':
      case 'RESTARTED':
        return failure('internal_error', true);
    }
  }
  return failure('internal_error', true);
}
