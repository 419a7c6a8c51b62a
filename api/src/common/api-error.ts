import {
  ERROR_TABLE,
  type ErrorCode,
  type ErrorParams,
  type FixedErrorCode,
  type FixedErrorMessage,
  type TemplatedErrorCode,
  codeOfFixedMessage,
  errorMessage,
} from './error-table';

export { ERROR_CODES, ERROR_TABLE, type ErrorCode } from './error-table';

/** Every error answer's body (the global filter writes it; the two middlewares before Nest too). */
export interface ErrorBody {
  success: false;
  /** The contract's message, verbatim. */
  error: string;
  /** The stable machine code of that message (error-table.ts): what clients decide by. */
  code: ErrorCode;
}

/**
 * The fixed messages of the error table under the names call sites used before codes existed
 * (a task's failure patch writes `error: ErrorMessage.internal` beside `error_code`). New code
 * names the code (`new ApiError('task_not_found')`); these are the same words, read from the table.
 */
export const ErrorMessage = {
  unsupportedImage: ERROR_TABLE.unsupported_image.message,
  imageTooSmall: ERROR_TABLE.image_too_small.message,
  noObject: ERROR_TABLE.no_object.message,
  busy: ERROR_TABLE.server_busy.message,
  tooManyRequests: ERROR_TABLE.too_many_requests.message,
  timeout: ERROR_TABLE.generation_timeout.message,
  outOfMemory: ERROR_TABLE.gpu_out_of_memory.message,
  internal: ERROR_TABLE.internal_error.message,
  missingImage: ERROR_TABLE.missing_image.message,
  oneFileOnly: ERROR_TABLE.unexpected_file.message,
  notFound: ERROR_TABLE.not_found.message,
  taskNotFound: ERROR_TABLE.task_not_found.message,
  previewNotFound: ERROR_TABLE.preview_not_found.message,
  cancelled: ERROR_TABLE.task_cancelled.message,
  alreadyFinished: ERROR_TABLE.task_already_finished.message,
  unauthorized: ERROR_TABLE.unauthorized.message,
  badRequest: ERROR_TABLE.bad_request.message,
  webAppNotBuilt: ERROR_TABLE.web_app_not_built.message,
  rangeNotSatisfiable: ERROR_TABLE.range_not_satisfiable.message,
  forbidden: ERROR_TABLE.forbidden.message,
  crossSite: ERROR_TABLE.cross_site_request.message,
} as const;

/** HTTP status a cancelled task reports (in its failed snapshot and to ?wait=true callers). */
export const CANCELLED_HTTP_STATUS = ERROR_TABLE.task_cancelled.status;

/** What an ApiError may add to its row of the table. */
interface ApiErrorExtras {
  /** Headers of the answer (Retry-After, WWW-Authenticate, Connection: close, ...). */
  headers?: Readonly<Record<string, string>>;
  /** Only for bad_request: the 4xx a parser raised (e.g. 415), kept as it was. */
  status?: number;
  /** What was thrown below (a parser's error): its words go to the log, never to the client. */
  cause?: unknown;
}

/** A templated code's words: its placeholders filled in (params), or its own builder's text (message). */
type TemplateInit<C extends TemplatedErrorCode> = ApiErrorExtras &
  ({ params: ErrorParams<C>; message?: never } | { message: string; params?: never });

/** What the constructor takes after the code: nothing more for a fixed message, the words for a template. */
export type ApiErrorInit<C extends ErrorCode> = C extends TemplatedErrorCode
  ? [init: TemplateInit<C>]
  : [init?: ApiErrorExtras];

/**
 * An error of the HTTP contract: one row of the error table (its code, status and message), plus
 * the answer's headers. The global filter turns it into {"success": false, "error", "code"}.
 *
 *   new ApiError('task_not_found')
 *   new ApiError('server_busy', { headers: { 'Retry-After': '30' } })
 *   new ApiError('invalid_option', { params: { field: 'seed', rule: 'an integer from 1 to 2147483647' } })
 *
 * The (status, message, headers) form is the one older call sites use: the message is one of the
 * table's fixed messages, and its row gives the code.
 */
export class ApiError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: C, ...init: ApiErrorInit<C>);
  constructor(status: number, message: FixedErrorMessage, headers?: Readonly<Record<string, string>>);
  constructor(
    codeOrStatus: C | number,
    second?: FixedErrorMessage | (ApiErrorExtras & { params?: object; message?: string }),
    headers: Readonly<Record<string, string>> = {},
  ) {
    if (typeof codeOrStatus === 'number') {
      const message = second as FixedErrorMessage;
      super(message);
      this.code = codeOfFixedMessage(message) as C;
      this.status = codeOrStatus;
      this.headers = headers;
    } else {
      const init = typeof second === 'object' ? second : {};
      const row = ERROR_TABLE[codeOrStatus];
      const message =
        init.message ??
        (init.params !== undefined
          ? errorMessage(codeOrStatus as TemplatedErrorCode, init.params as ErrorParams<TemplatedErrorCode>)
          : row.message);
      super(message, init.cause === undefined ? undefined : { cause: init.cause });
      this.code = codeOrStatus;
      this.status = codeOrStatus === 'bad_request' && init.status !== undefined ? init.status : row.status;
      this.headers = init.headers ?? {};
    }
    this.name = 'ApiError';
  }

  /** The answer's body. */
  body(): ErrorBody {
    return { success: false, error: this.message, code: this.code };
  }
}

/** 413 file_too_large naming the configured limit ("File too large, max 10MB"); the connection closes after it. */
export function fileTooLargeError(maxUploadMb: number): ApiError<'file_too_large'> {
  return new ApiError('file_too_large', {
    params: { max_upload_mb: maxUploadMb },
    headers: { Connection: 'close' },
  });
}

/** A fixed-message error of the table by its code (for places that only need the body). */
export function errorBody(code: FixedErrorCode): ErrorBody {
  return { success: false, error: ERROR_TABLE[code].message, code };
}
