import { Injectable } from '@angular/core';

import { toApiError } from './api-error';
import { ApiError, DEFAULT_SERVER_CONFIG, GenerateAccepted, ServerConfig, TaskSnapshot } from './api-types';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const NETWORK_ERROR: ApiError = { status: 0, error: 'Network error' };

function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Merges what /api/config said over the documented defaults, field by field. */
export function parseServerConfig(body: unknown): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG };
  if (body === null || typeof body !== 'object') return config;
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_SERVER_CONFIG) as (keyof ServerConfig)[]) {
    const value = record[key];
    if (isPositiveNumber(value)) config[key] = value;
  }
  return config;
}

/** The HTTP contract of DESIGN.md. Relative URLs only: page, api and models share one origin. */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  async generate(image: Blob, fileName: string): Promise<Outcome<GenerateAccepted>> {
    const form = new FormData();
    form.append('image', image, fileName);
    let response: Response;
    try {
      response = await fetch('/api/generate', { method: 'POST', body: form });
    } catch {
      return { ok: false, error: NETWORK_ERROR };
    }
    const text = await response.text().catch(() => '');
    if (response.status !== 202 && !response.ok) {
      return { ok: false, error: toApiError(response.status, text, response.headers.get('Retry-After')) };
    }
    try {
      const body = JSON.parse(text) as Partial<GenerateAccepted>;
      if (typeof body.task_id !== 'string') throw new Error('no task_id');
      return {
        ok: true,
        value: {
          success: true,
          task_id: body.task_id,
          status_url: body.status_url ?? `/api/status/${body.task_id}`,
          queue_position: typeof body.queue_position === 'number' ? body.queue_position : 0,
        },
      };
    } catch {
      return { ok: false, error: { status: 500, error: 'Internal error' } };
    }
  }

  async getTask(taskId: string): Promise<Outcome<TaskSnapshot>> {
    let response: Response;
    try {
      response = await fetch(`/api/tasks/${encodeURIComponent(taskId)}`, { cache: 'no-store' });
    } catch {
      return { ok: false, error: NETWORK_ERROR };
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      return { ok: false, error: toApiError(response.status, text, response.headers.get('Retry-After')) };
    }
    try {
      return { ok: true, value: JSON.parse(text) as TaskSnapshot };
    } catch {
      return { ok: false, error: { status: 500, error: 'Internal error' } };
    }
  }

  async cancelTask(taskId: string): Promise<Outcome<null>> {
    try {
      const response = await fetch(`/api/tasks/${encodeURIComponent(taskId)}`, { method: 'DELETE' });
      if (response.ok) return { ok: true, value: null };
      const text = await response.text().catch(() => '');
      return { ok: false, error: toApiError(response.status, text, null) };
    } catch {
      return { ok: false, error: NETWORK_ERROR };
    }
  }

  async getConfig(): Promise<ServerConfig> {
    try {
      const response = await fetch('/api/config', { cache: 'no-store' });
      if (!response.ok) return { ...DEFAULT_SERVER_CONFIG };
      return parseServerConfig(await response.json());
    } catch {
      return { ...DEFAULT_SERVER_CONFIG };
    }
  }
}
