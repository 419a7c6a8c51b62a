import { MessageParams } from '../i18n/i18n';
import { MessageKey } from '../i18n/messages';
import { ApiError, ERROR_MESSAGES } from './api-types';

/** An error as the page explains it: a dictionary key, its parameters, whether to offer a retry. */
export interface ErrorDescription {
  key: MessageKey;
  params: MessageParams;
  /** Whether sending the same picture again may succeed. */
  retryable: boolean;
}

/**
 * Turns the server's error (its exact message first, the status second) into a plain explanation.
 * The documented messages are matched verbatim; anything else is shown as the server said it.
 */
export function describeError(error: ApiError, maxUploadMb: number): ErrorDescription {
  const message = error.error.trim();
  if (message === ERROR_MESSAGES.unsupported) {
    return { key: 'error.unsupported', params: {}, retryable: false };
  }
  if (message === ERROR_MESSAGES.tooSmall) {
    return { key: 'error.tooSmall', params: {}, retryable: false };
  }
  if (message === ERROR_MESSAGES.noObject) {
    return { key: 'error.noObject', params: {}, retryable: false };
  }
  const tooLarge = /^File too large, max (\d+(?:\.\d+)?)MB$/.exec(message);
  if (tooLarge || error.status === 413) {
    return { key: 'error.tooLarge', params: { max: tooLarge?.[1] ?? maxUploadMb }, retryable: false };
  }
  if (message === ERROR_MESSAGES.busy || error.status === 503) {
    return error.retryAfterS !== undefined
      ? { key: 'error.busy', params: { seconds: error.retryAfterS }, retryable: true }
      : { key: 'error.busyNoDelay', params: {}, retryable: true };
  }
  if (message === ERROR_MESSAGES.tooMany || error.status === 429) {
    return error.retryAfterS !== undefined
      ? { key: 'error.tooMany', params: { seconds: error.retryAfterS }, retryable: true }
      : { key: 'error.tooManyNoDelay', params: {}, retryable: true };
  }
  if (message === ERROR_MESSAGES.unauthorized || error.status === 401) {
    return { key: 'error.unauthorized', params: {}, retryable: false };
  }
  if (message === ERROR_MESSAGES.timeout || error.status === 504) {
    return { key: 'error.timeout', params: {}, retryable: true };
  }
  if (message === ERROR_MESSAGES.oom) {
    return { key: 'error.oom', params: {}, retryable: true };
  }
  if (error.status === 0) {
    return { key: 'error.network', params: {}, retryable: true };
  }
  if (error.status === 404) {
    return { key: 'error.notFound', params: {}, retryable: false };
  }
  if (message === ERROR_MESSAGES.internal || message === '') {
    return { key: 'error.internal', params: {}, retryable: true };
  }
  return { key: 'error.other', params: { message }, retryable: true };
}
