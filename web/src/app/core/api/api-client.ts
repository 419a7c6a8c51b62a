import { Injectable } from '@angular/core';

import { toApiError } from './api-error';
import {
  ApiError,
  DEFAULT_SERVER_CONFIG,
  GenerateAccepted,
  GenerationChoice,
  QualityOffer,
  QualityPreset,
  ServerConfig,
  TaskSnapshot,
  TextureChoice,
  UnusedOptions,
} from './api-types';
import { JSON_REQUEST_TIMEOUT_MS, timeoutSignal, uploadTimeoutMs } from './request-timeouts';
import { pageLink } from './model-url';

/** What a request ended with: the value, or the error as the server (or the network) named it. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const NETWORK_ERROR: ApiError = { status: 0, code: undefined, error: '' };

/** A 2xx answer whose body is not the documented shape: the server's fault, as the contract names it. */
const MALFORMED_ANSWER: ApiError = { status: 500, code: 'internal_error', error: '' };

function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** The server's numeric limits in GET /api/config. */
const LIMIT_KEYS = [
  'max_upload_mb',
  'max_mesh_mb',
  'texture_max_faces',
  'retention_hours',
  'job_timeout_s',
  'max_queue',
] as const satisfies readonly (keyof ServerConfig)[];

/** Merges what /api/config said over the documented defaults, field by field. */
export function parseServerConfig(body: unknown): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG };
  if (body === null || typeof body !== 'object') return config;
  const record = body as Record<string, unknown>;
  for (const key of LIMIT_KEYS) {
    const value = record[key];
    if (isPositiveNumber(value)) config[key] = value;
  }
  const base = record['public_base_url'];
  if (typeof base === 'string' && /^https?:\/\//.test(base)) config.public_base_url = base;
  return config;
}

/** Nothing said unused: what the panel assumes when GET /api/qualities cannot be read. */
const NONE_UNUSED: UnusedOptions = { generate: [], texture: [] };

/** A list of option names, or [] for anything else. */
function optionNames(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * What GET /api/qualities said: the well-formed presets ([] for anything else) and the options
 * the engine never uses (none when absent or malformed).
 */
export function parseQualityOffer(body: unknown): QualityOffer {
  if (body === null || typeof body !== 'object') return { presets: [], unused: NONE_UNUSED };
  const record = body as Record<string, unknown>;
  const unused = record['unused_options'];
  return {
    presets: parsePresets(record['presets']),
    unused:
      unused !== null && typeof unused === 'object'
        ? {
            generate: optionNames((unused as Record<string, unknown>)['generate']),
            texture: optionNames((unused as Record<string, unknown>)['texture']),
          }
        : NONE_UNUSED,
  };
}

function parsePresets(presets: unknown): QualityPreset[] {
  if (!Array.isArray(presets)) return [];
  return presets.filter((entry): entry is QualityPreset => {
    if (entry === null || typeof entry !== 'object') return false;
    const preset = entry as Record<string, unknown>;
    return (
      (preset['quality'] === 'fast' || preset['quality'] === 'balanced' || preset['quality'] === 'high') &&
      typeof preset['offered'] === 'boolean' &&
      typeof preset['expected_s'] === 'number' &&
      Number.isFinite(preset['expected_s'])
    );
  });
}

/** The answer to POST /api/generate (and POST /api/texture): 202 with the task, or the documented error. */
export function parseGenerateAnswer(
  status: number,
  text: string,
  retryAfter: string | null,
): Outcome<GenerateAccepted> {
  if (status === 0) return { ok: false, error: NETWORK_ERROR };
  if (status < 200 || status >= 300) return { ok: false, error: toApiError(status, text, retryAfter) };
  try {
    const body = JSON.parse(text) as Partial<GenerateAccepted>;
    if (typeof body.task_id !== 'string') throw new Error('no task_id');
    if (typeof body.task_token !== 'string') throw new Error('no task_token');
    return {
      ok: true,
      value: {
        success: true,
        task_id: body.task_id,
        task_token: body.task_token,
        status_url: body.status_url ?? `/api/status/${body.task_id}`,
        // None named: the watch page on this page's own address.
        watch_url: body.watch_url ?? pageLink(`/t/${body.task_id}`),
        queue_position: typeof body.queue_position === 'number' ? body.queue_position : 0,
      },
    };
  } catch {
    return { ok: false, error: MALFORMED_ANSWER };
  }
}

/** The files of POST /api/texture: the mesh to paint and the picture to paint it from, with their names. */
export interface TextureUpload {
  mesh: Blob;
  meshName: string;
  image: Blob;
  imageName: string;
}

/** The options as multipart text fields; an absent one is left out (the server's default). */
function appendOptions(form: FormData, options: GenerationChoice | TextureChoice): void {
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) form.append(name, String(value));
  }
}

/**
 * Sends an upload form of `bytes` bytes with XMLHttpRequest (fetch reports no upload progress) and
 * reads the 202 or the documented error; `signal` aborts it (then a network error).
 */
function postUpload(
  url: string,
  form: FormData,
  bytes: number,
  onUploadProgress?: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<Outcome<GenerateAccepted>> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.open('POST', url);
    // Scaled to what is sent (request-timeouts.ts): a stalled upload ends as a network error.
    request.timeout = uploadTimeoutMs(bytes);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0)
        onUploadProgress?.(Math.min(1, event.loaded / event.total));
    };
    request.onload = () =>
      resolve(
        parseGenerateAnswer(request.status, request.responseText, request.getResponseHeader('Retry-After')),
      );
    request.onerror = () => resolve({ ok: false, error: NETWORK_ERROR });
    request.onabort = () => resolve({ ok: false, error: NETWORK_ERROR });
    request.ontimeout = () => resolve({ ok: false, error: NETWORK_ERROR });
    request.send(form);
  });
}

/**
 * The HTTP contract of docs/design.md. Relative URLs only: page, api and models share one origin.
 * Every request has a time limit (request-timeouts.ts); one that runs out ends as a network error.
 */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  /**
   * POST /api/generate. XMLHttpRequest rather than fetch: only it reports upload progress, and a
   * 10 MB picture from a phone through a tunnel takes long enough to need it.
   */
  generate(
    image: Blob,
    fileName: string,
    onUploadProgress?: (fraction: number) => void,
    options: GenerationChoice = {},
    signal?: AbortSignal,
  ): Promise<Outcome<GenerateAccepted>> {
    const form = new FormData();
    form.append('image', image, fileName);
    appendOptions(form, options);
    return postUpload('/api/generate', form, image.size, onUploadProgress, signal);
  }

  /**
   * POST /api/texture: the mesh (field `mesh`) painted from the picture (field `image`). Answered
   * exactly as POST /api/generate, and the task is followed the same way.
   */
  texture(
    upload: TextureUpload,
    onUploadProgress?: (fraction: number) => void,
    options: TextureChoice = {},
    signal?: AbortSignal,
  ): Promise<Outcome<GenerateAccepted>> {
    const form = new FormData();
    form.append('mesh', upload.mesh, upload.meshName);
    form.append('image', upload.image, upload.imageName);
    appendOptions(form, options);
    return postUpload('/api/texture', form, upload.mesh.size + upload.image.size, onUploadProgress, signal);
  }

  /** GET /api/tasks/{id}: the task's snapshot, for polling and after the stream gave up. */
  async getTask(taskId: string): Promise<Outcome<TaskSnapshot>> {
    let response: Response;
    let text: string;
    try {
      // One limit for the answer and its body: a body that stalls is as bad as no answer.
      response = await fetch(`/api/tasks/${encodeURIComponent(taskId)}`, {
        cache: 'no-store',
        signal: timeoutSignal(JSON_REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      return { ok: false, error: NETWORK_ERROR };
    }
    if (!response.ok) {
      return { ok: false, error: toApiError(response.status, text, response.headers.get('Retry-After')) };
    }
    try {
      return { ok: true, value: JSON.parse(text) as TaskSnapshot };
    } catch {
      return { ok: false, error: MALFORMED_ANSWER };
    }
  }

  /**
   * DELETE /api/tasks/{id}: cancels a queued or running task, as its maker: `token` is the
   * task_token of the 202 that made it (sent as X-Task-Token; without it the server answers 403
   * task_token_required).
   */
  async cancelTask(taskId: string, token: string | undefined): Promise<Outcome<null>> {
    try {
      const response = await fetch(`/api/tasks/${encodeURIComponent(taskId)}`, {
        method: 'DELETE',
        headers: token === undefined ? {} : { 'X-Task-Token': token },
        signal: timeoutSignal(JSON_REQUEST_TIMEOUT_MS),
      });
      if (response.ok) return { ok: true, value: null };
      const text = await response.text().catch(() => '');
      return { ok: false, error: toApiError(response.status, text, null) };
    } catch {
      return { ok: false, error: NETWORK_ERROR };
    }
  }

  /**
   * GET /api/qualities: the presets and which this GPU offers, and the options its engine never
   * uses; no presets and nothing unused when it cannot be read. Never fails.
   */
  async getQualities(): Promise<QualityOffer> {
    try {
      const response = await fetch('/api/qualities', {
        cache: 'no-store',
        signal: timeoutSignal(JSON_REQUEST_TIMEOUT_MS),
      });
      if (!response.ok) return parseQualityOffer(null);
      return parseQualityOffer(await response.json());
    } catch {
      return parseQualityOffer(null);
    }
  }

  /** GET /api/config, or the documented defaults when it cannot be read. Never fails. */
  async getConfig(): Promise<ServerConfig> {
    try {
      const response = await fetch('/api/config', {
        cache: 'no-store',
        signal: timeoutSignal(JSON_REQUEST_TIMEOUT_MS),
      });
      if (!response.ok) return { ...DEFAULT_SERVER_CONFIG };
      return parseServerConfig(await response.json());
    } catch {
      return { ...DEFAULT_SERVER_CONFIG };
    }
  }
}
