import { Injectable, signal } from '@angular/core';

import { toApiError } from '../../core/api/api-error';
import type { Outcome } from '../../core/api/api-client';
import type { ApiError } from '../../core/api/api-types';
import type { components } from '../../core/api/generated/openapi';

type Schemas = components['schemas'];

/** GET /api/admin/overview: everything the console shows. */
export type OpsOverview = Schemas['OpsOverviewDto'];
/** A worker and its sidecar, as the overview lists it. */
export type OpsWorker = Schemas['OpsWorkerDto'];
/** An unfinished task as the overview lists it (no token, no picture). */
export type OpsQueueTask = Schemas['OpsQueueTaskDto'];
/** The answer of a pause or resume. */
export type OpsAdmissionsChange = Schemas['OpsAdmissionsChangeDto'];
/** The answer of a cleanup run. */
export type OpsCleanup = Schemas['OpsCleanupDto'];
/** The 202 of POST /api/admin/workers/{worker_id}/inference/restart: the worker's own answer. */
export type OpsWorkerRestart = Schemas['WorkerRestartAcceptedDto'];
/** The 200 of POST /api/admin/workers/inference/restart: each live worker's outcome. */
export type OpsWorkerRestartAll = Schemas['WorkerRestartAllDto'];
/** The final snapshot of a cancelled task. */
export type OpsCancelled = Schemas['TaskViewDto'];

/** sessionStorage key of the admin token: kept for this tab only, gone when it closes. */
export const ADMIN_TOKEN_KEY = 'kiln3d.adminToken';
/** The longest an admin request may take before it counts as failed (ms). */
export const OPS_REQUEST_TIMEOUT_MS = 4_000;
/**
 * A worker's restart waits for the worker's answer through Redis (5 s at most, 2 s more when it
 * took the request at the last moment) before the api says 504 worker_no_answer: a longer limit.
 */
export const OPS_RESTART_TIMEOUT_MS = 10_000;

const NETWORK_ERROR: ApiError = { status: 0, code: undefined, error: '' };

function readToken(): string {
  try {
    return globalThis.sessionStorage?.getItem(ADMIN_TOKEN_KEY) ?? '';
  } catch {
    return ''; // Storage blocked: the token holds for this page only.
  }
}

/**
 * The ops console's client of the admin routes (docs/design.md, Operations: the console). Every
 * request carries `Authorization: Bearer <token>` (the token the operator typed, kept in
 * sessionStorage) and is aborted after OPS_REQUEST_TIMEOUT_MS; a Cloudflare Access cookie alone
 * opens nothing (the api decides admin routes by the bearer only).
 */
@Injectable({ providedIn: 'root' })
export class OpsApi {
  /** The admin token in use; '' when none was given. */
  readonly token = signal(readToken());

  /** Keeps the token for this tab (sessionStorage) and uses it from now on. */
  setToken(token: string): void {
    this.token.set(token);
    try {
      if (token === '') globalThis.sessionStorage?.removeItem(ADMIN_TOKEN_KEY);
      else globalThis.sessionStorage?.setItem(ADMIN_TOKEN_KEY, token);
    } catch {
      // Not kept: the token still holds for this page.
    }
  }

  overview(signal?: AbortSignal): Promise<Outcome<OpsOverview>> {
    return this.request<OpsOverview>('GET', '/api/admin/overview', signal);
  }

  pause(): Promise<Outcome<OpsAdmissionsChange>> {
    return this.request<OpsAdmissionsChange>('POST', '/api/admin/admissions/pause');
  }

  resume(): Promise<Outcome<OpsAdmissionsChange>> {
    return this.request<OpsAdmissionsChange>('POST', '/api/admin/admissions/resume');
  }

  cleanup(): Promise<Outcome<OpsCleanup>> {
    return this.request<OpsCleanup>('POST', '/api/admin/cleanup');
  }

  cancel(taskId: string): Promise<Outcome<OpsCancelled>> {
    return this.request<OpsCancelled>('DELETE', `/api/admin/tasks/${encodeURIComponent(taskId)}`);
  }

  /** One worker's sidecar, by its id (the overview's `workers[].id`), from whichever api process serves this page. */
  restartWorker(workerId: string, force: boolean): Promise<Outcome<OpsWorkerRestart>> {
    return this.request<OpsWorkerRestart>(
      'POST',
      `/api/admin/workers/${encodeURIComponent(workerId)}/inference/restart${force ? '?force=true' : ''}`,
      undefined,
      OPS_RESTART_TIMEOUT_MS,
    );
  }

  /** Every live worker's sidecar at once; each worker's outcome comes back. */
  restartAll(force: boolean): Promise<Outcome<OpsWorkerRestartAll>> {
    return this.request<OpsWorkerRestartAll>(
      'POST',
      `/api/admin/workers/inference/restart${force ? '?force=true' : ''}`,
      undefined,
      OPS_RESTART_TIMEOUT_MS,
    );
  }

  /**
   * One admin request: its JSON body on 2xx, else the error as the api (or the network: status 0,
   * a timeout included) named it. `signal` aborts it earlier (the page leaving); `timeoutMs` is
   * its limit (OPS_REQUEST_TIMEOUT_MS unless the route waits on something slower).
   */
  private async request<T>(
    method: string,
    path: string,
    signal?: AbortSignal,
    timeoutMs = OPS_REQUEST_TIMEOUT_MS,
  ): Promise<Outcome<T>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(path, {
        method,
        cache: 'no-store',
        headers: { Authorization: `Bearer ${this.token()}` },
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      const text = await response.text();
      if (!response.ok) {
        return { ok: false, error: toApiError(response.status, text, response.headers.get('Retry-After')) };
      }
      return { ok: true, value: JSON.parse(text) as T };
    } catch {
      return { ok: false, error: NETWORK_ERROR };
    }
  }
}
