import { MessageParams } from '../i18n/i18n';
import { MessageKey } from '../i18n/messages';
import { ApiError, DEFAULT_SERVER_CONFIG, ErrorCode } from './api-types';

/** An error as the page explains it: a dictionary key, its parameters, whether to offer a retry. */
export interface ErrorDescription {
  key: MessageKey;
  params: MessageParams;
  /** Whether sending the same picture again may succeed. */
  retryable: boolean;
  /**
   * With `seconds` (Retry-After) in params: the sentence once that wait is over. The page counts
   * `seconds` down in the sentence itself, then shows this one.
   */
  afterWait?: MessageKey;
}

/** The server's upload limits (GET /api/config), named in the too-large sentences. */
interface Limits {
  maxUploadMb: number;
  maxMeshMb: number;
}

const plain = (key: MessageKey, retryable: boolean): ErrorDescription => ({ key, params: {}, retryable });

/** A 503 or 429: with Retry-After, how long to wait. */
function waitAndRetry(error: ApiError, withDelay: MessageKey, withoutDelay: MessageKey): ErrorDescription {
  return error.retryAfterS !== undefined
    ? { key: withDelay, params: { seconds: error.retryAfterS }, retryable: true, afterWait: withoutDelay }
    : plain(withoutDelay, true);
}

/** The server's own words, for a code the page has no sentence of its own for. */
function serverWords(error: ApiError, retryable: boolean): ErrorDescription {
  return error.error === ''
    ? plain('error.internal', true)
    : { key: 'error.other', params: { message: error.error }, retryable };
}

/** Explains a code of the contract's error table; every code is decided here (exhaustive). */
function describeCode(code: ErrorCode, error: ApiError, limits: Limits): ErrorDescription {
  switch (code) {
    case 'unsupported_image':
      return plain('error.unsupported', false);
    case 'image_too_small':
      return plain('error.tooSmall', false);
    case 'image_too_large':
      return plain('error.tooManyPixels', false);
    case 'no_object':
      return plain('error.noObject', false);
    case 'file_too_large':
      return { key: 'error.tooLarge', params: { max: limits.maxUploadMb }, retryable: false };
    // POST /api/texture's refusals of the mesh: another mesh is needed, not another try.
    case 'unsupported_mesh':
      return plain('error.meshUnsupported', false);
    case 'mesh_too_large':
      return { key: 'error.meshTooLarge', params: { max: limits.maxMeshMb }, retryable: false };
    case 'mesh_no_faces':
      return plain('error.meshNoFaces', false);
    case 'mesh_not_finite':
      return plain('error.meshNotFinite', false);
    case 'mesh_too_many_faces':
      // The server's words name the mesh's faces and the limit (TEXTURE_MAX_FACES).
      return error.error === ''
        ? plain('error.meshTooManyFaces', false)
        : { key: 'error.meshTooManyFacesSaid', params: { message: error.error }, retryable: false };
    case 'mesh_compressed':
      return plain('error.meshCompressed', false);
    case 'server_busy':
      return waitAndRetry(error, 'error.busy', 'error.busyNoDelay');
    case 'too_many_requests':
      return waitAndRetry(error, 'error.tooMany', 'error.tooManyNoDelay');
    case 'too_many_active_tasks':
      return waitAndRetry(error, 'error.activeTasks', 'error.activeTasksNoDelay');
    case 'admissions_paused':
      return waitAndRetry(error, 'error.paused', 'error.pausedNoDelay');
    case 'formats_busy':
      return waitAndRetry(error, 'error.formatsBusy', 'error.formatsBusyNoDelay');
    case 'decode_busy':
      return waitAndRetry(error, 'error.decodeBusy', 'error.decodeBusyNoDelay');
    case 'request_timeout':
      return plain('error.requestTimeout', true);
    case 'unauthorized':
      return plain('error.unauthorized', false);
    case 'generation_timeout':
      return plain('error.timeout', true);
    case 'gpu_out_of_memory':
      return plain('error.oom', true);
    case 'internal_error':
      return plain('error.internal', true);
    case 'engine_unavailable':
      return plain('error.engineUnavailable', true);
    case 'store_unavailable':
      return plain('error.storeUnavailable', true);
    case 'store_full':
      return plain('error.storeFull', true);
    // The server's disk under its floor (MIN_FREE_DISK_MB): uploads and new format files alike;
    // no Retry-After (the cleanup or the owner frees it), so no countdown.
    case 'insufficient_storage':
      return plain('error.diskFull', true);
    case 'task_not_found':
    case 'not_found':
    case 'preview_not_found':
      return plain('error.notFound', false);
    case 'task_cancelled':
      return plain('progress.cancelled', true);
    // A request the page itself built wrong, or a limit the server names in its own words
    // (unavailable_quality names the presets that fit): shown as the server said it.
    case 'unavailable_quality':
    case 'invalid_option':
    case 'invalid_parameter':
    case 'missing_image':
    case 'missing_mesh':
    case 'unexpected_file':
    case 'unexpected_mesh_file':
    case 'bad_request':
    case 'body_too_large':
    case 'task_already_finished':
    case 'task_not_completed':
    case 'forbidden':
    case 'cross_site_request':
    case 'task_token_required':
    case 'range_not_satisfiable':
    case 'sidecar_not_managed':
    case 'worker_not_found':
      return serverWords(error, false);
    case 'meshes_busy':
      return waitAndRetry(error, 'error.meshesBusy', 'error.meshesBusyNoDelay');
    // A download's file that could not be made (tried again later): the server's words name it.
    case 'format_failed':
      return serverWords(error, true);
    // An event stream refused (the page's EventSource retries on its own; shown if ever read).
    case 'too_many_streams':
    case 'streams_full':
    case 'sidecar_stopped':
    case 'web_app_not_built':
    case 'worker_no_answer':
      return serverWords(error, true);
  }
}

/** Without a code (the network, a proxy's page): the status alone says what it can. */
function describeStatus(error: ApiError, limits: Limits): ErrorDescription {
  switch (error.status) {
    case 0:
      return plain('error.network', true);
    case 401:
      return plain('error.unauthorized', false);
    case 404:
      return plain('error.notFound', false);
    case 413:
      return { key: 'error.tooLarge', params: { max: limits.maxUploadMb }, retryable: false };
    case 429:
      return waitAndRetry(error, 'error.tooMany', 'error.tooManyNoDelay');
    case 503:
      return waitAndRetry(error, 'error.busy', 'error.busyNoDelay');
    case 504:
      return plain('error.timeout', true);
    default:
      return serverWords(error, true);
  }
}

/**
 * Turns an error into a plain explanation, decided by its code (the contract's error table);
 * an answer without one (the network, a proxy in front) by its status. Never by the message's
 * words: those are only shown, for a code the page has no sentence for. The limits fill the
 * too-large sentences: the picture's (MAX_UPLOAD_MB) and the mesh's (MAX_MESH_MB).
 */
export function describeError(
  error: ApiError,
  maxUploadMb: number,
  maxMeshMb: number = DEFAULT_SERVER_CONFIG.max_mesh_mb,
): ErrorDescription {
  const limits: Limits = { maxUploadMb, maxMeshMb };
  return error.code !== undefined ? describeCode(error.code, error, limits) : describeStatus(error, limits);
}
