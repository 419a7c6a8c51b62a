/**
 * A model's downloads in every format (docs/design.md, Formats; issue 23), by the model id that
 * its URLs and share link carry: GET /api/models/{id}/formats lists them, GET
 * /api/models/{id}/download?format=…[&size_mm=…] answers the file, or 202 while it is made.
 */
import { toApiError } from './api-error';
import { ApiError } from './api-types';
import type { components } from './generated/openapi';
import { formatStateDtoFormatValues } from './generated/openapi';

type Schemas = components['schemas'];

/** A format a model is offered in: glb, obj, stl, 3mf, ply, usdz. */
export type ModelFormat = Schemas['FormatStateDto']['format'];
/** One format as GET /api/models/{id}/formats lists it (its state, and its bytes once made). */
export type FormatEntry = Schemas['FormatStateDto'];
/** The body of GET /api/models/{id}/formats. */
export type FormatList = Schemas['FormatListDto'];

/** The formats in the order the menu lists them (the contract's order). */
export const MODEL_FORMATS: readonly ModelFormat[] = formatStateDtoFormatValues;

/** The formats made for a printer, at a size in millimetres (size_mm). */
export const PRINTING_FORMATS: ReadonlySet<ModelFormat> = new Set<ModelFormat>(['stl', '3mf']);

/** size_mm: whole millimetres of the longest side, within these bounds (the api's SIZE_MM_MIN/MAX). */
export const SIZE_MM_MIN = 10;
export const SIZE_MM_MAX = 1000;
export const DEFAULT_SIZE_MM = 100;

/** The same-origin path of a model's download; size_mm only for a printing format. */
export function modelDownloadPath(modelId: string, format: ModelFormat, sizeMm?: number): string {
  const query = new URLSearchParams({ format });
  if (PRINTING_FORMATS.has(format) && sizeMm !== undefined) query.set('size_mm', String(sizeMm));
  return `/api/models/${encodeURIComponent(modelId)}/download?${query.toString()}`;
}

/** What the person typed as a print size, if it is a whole number of millimetres within bounds. */
export function parseSizeMm(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,4}$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value >= SIZE_MM_MIN && value <= SIZE_MM_MAX ? value : undefined;
}

/** A byte count in human units (decimal, like file managers): "980 B", "12.3 KB", "4.5 MB". */
export function formatBytes(bytes: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
  return `${number} ${units[unit]}`;
}

/** The body of GET /api/models/{id}/formats, keeping only well-formed entries; undefined if it is not one. */
export function parseFormatList(body: unknown): FormatList | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record['formats'])) return undefined;
  const formats = record['formats'].filter((entry): entry is FormatEntry => {
    if (entry === null || typeof entry !== 'object') return false;
    const item = entry as Record<string, unknown>;
    return (
      typeof item['format'] === 'string' &&
      (MODEL_FORMATS as readonly string[]).includes(item['format']) &&
      ['ready', 'building', 'not_made', 'failed'].includes(String(item['state'])) &&
      (item['bytes'] === undefined || typeof item['bytes'] === 'number')
    );
  });
  const watertight = record['watertight'];
  return typeof watertight === 'boolean' ? { formats, watertight } : { formats };
}

/** What asking for a download said: the file is there, it is being made, or an error. */
export type DownloadProbe =
  | {
      kind: 'ready';
      /** The file's size, from Content-Range (or Content-Length), when given. */
      bytes: number | undefined;
      /** stl and 3mf: X-Mesh-Watertight. */
      watertight: boolean | undefined;
    }
  | { kind: 'building'; retryAfterS: number }
  | { kind: 'error'; error: ApiError };

const NETWORK_ERROR: ApiError = { status: 0, code: undefined, error: '' };

/** Aborts when `signal` does, or after `ms` (a timeout that is not the caller's cancel). */
function withTimeout(signal: AbortSignal | undefined, ms: number): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) controller.abort();
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * GET /api/models/{id}/formats, one request that gives up after `timeoutMs`; undefined when it
 * failed (the menu then lists the formats without their sizes).
 */
export async function fetchFormatList(
  modelId: string,
  signal?: AbortSignal,
  timeoutMs = 10_000,
): Promise<FormatList | undefined> {
  const request = withTimeout(signal, timeoutMs);
  try {
    const response = await fetch(`/api/models/${encodeURIComponent(modelId)}/formats`, {
      cache: 'no-store',
      signal: request.signal,
    });
    if (!response.ok) return undefined;
    return parseFormatList(await response.json());
  } catch {
    return undefined;
  } finally {
    request.done();
  }
}

/** The total of `Content-Range: bytes 0-0/12345`, else Content-Length of a whole answer. */
function fileBytes(response: Response): number | undefined {
  const range = /\/(\d+)\s*$/.exec(response.headers.get('Content-Range') ?? '');
  if (range?.[1]) return Number(range[1]);
  const length = Number(response.headers.get('Content-Length') ?? Number.NaN);
  return response.status === 200 && Number.isFinite(length) && length >= 0 ? length : undefined;
}

/**
 * Asks for a download without taking it: a GET of its first byte (Range: bytes=0-0), which
 * starts the file's build on the server like a download would, and answers 206 once the file is
 * there (its size in Content-Range, X-Mesh-Watertight for stl and 3mf), 202 while it is made
 * (the server waits up to 20 s first), or the error body. A HEAD would carry no error body, and
 * the server's words are what the menu shows for format_failed and formats_busy.
 * `timeoutMs` bounds the wait for the answer's headers.
 */
export async function probeDownload(
  path: string,
  signal?: AbortSignal,
  timeoutMs = 60_000,
): Promise<DownloadProbe> {
  const request = withTimeout(signal, timeoutMs);
  try {
    const response = await fetch(path, {
      cache: 'no-store',
      headers: { Range: 'bytes=0-0' },
      signal: request.signal,
    });
    if (response.status === 202) {
      const body = (await response.json().catch(() => ({}))) as { retry_after_s?: unknown };
      const header = Number(response.headers.get('Retry-After') ?? Number.NaN);
      const retryAfterS = Number.isFinite(header) ? header : Number(body.retry_after_s);
      return { kind: 'building', retryAfterS: Number.isFinite(retryAfterS) ? retryAfterS : 5 };
    }
    if (response.ok) {
      // A proxy that ignores Range sends the whole file: not needed here, the download follows.
      void response.body?.cancel().catch(() => undefined);
      const watertight = response.headers.get('X-Mesh-Watertight');
      return {
        kind: 'ready',
        bytes: fileBytes(response),
        watertight: watertight === 'true' ? true : watertight === 'false' ? false : undefined,
      };
    }
    const text = await response.text().catch(() => '');
    return { kind: 'error', error: toApiError(response.status, text, response.headers.get('Retry-After')) };
  } catch {
    return { kind: 'error', error: NETWORK_ERROR };
  } finally {
    request.done();
  }
}

/** How waitForDownload ended: ready, an error, given up after `maxTries`, or cancelled. */
export type DownloadWait =
  Extract<DownloadProbe, { kind: 'ready' | 'error' }> | { kind: 'gave-up' } | { kind: 'cancelled' };

export interface WaitOptions {
  signal: AbortSignal;
  /** Called on each 202, before waiting Retry-After seconds. */
  onBuilding?: (retryAfterS: number) => void;
  /** Probes at most (the first included). */
  maxTries?: number;
  /** The wait between probes (a spec passes a fast one). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Probes a download until its file is there: one request at a time, Retry-After seconds apart
 * (kept within 1-30 s), at most `maxTries` (12: with the server's own 20 s wait, several minutes),
 * stopped at once by `signal` (closing the menu).
 */
export async function waitForDownload(path: string, options: WaitOptions): Promise<DownloadWait> {
  const { signal, onBuilding, maxTries = 12, sleep = abortableSleep } = options;
  for (let attempt = 1; attempt <= maxTries; attempt++) {
    if (signal.aborted) return { kind: 'cancelled' };
    const probe = await probeDownload(path, signal);
    if (signal.aborted) return { kind: 'cancelled' };
    if (probe.kind !== 'building') return probe;
    if (attempt === maxTries) break;
    onBuilding?.(probe.retryAfterS);
    await sleep(Math.min(30, Math.max(1, probe.retryAfterS)) * 1000, signal);
  }
  return signal.aborted ? { kind: 'cancelled' } : { kind: 'gave-up' };
}

/**
 * Starts the browser's own download of a same-origin URL: a click on an <a download>. The server
 * answers with Content-Disposition: attachment, so even a browser that ignores the attribute
 * (or treats the click as a navigation, iOS Safari before 13) saves the file instead of leaving
 * the page, streaming it to disk with its own progress, and names it.
 */
export function startDownload(href: string, fileName = ''): void {
  const anchor = document.createElement('a');
  anchor.href = href;
  anchor.download = fileName;
  anchor.rel = 'noopener';
  anchor.style.display = 'none';
  // Not a click anywhere on the page: a menu that closes on outside clicks stays open.
  anchor.addEventListener('click', (event) => event.stopPropagation());
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}
