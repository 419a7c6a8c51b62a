import { DestroyRef, Injectable, inject, signal } from '@angular/core';

import { isModelId } from '../../core/api/model-url';

/** One model made in this browser, as kept in localStorage. */
export interface HistoryEntry {
  /** The model's UUID: /static/{modelId}.glb, shared as /m/{modelId}. */
  modelId: string;
  taskId: string;
  /** Page clock (ms) when the model was made; expiry counts from it. */
  createdAt: number;
  /** A small JPEG data URL of the source picture, if one could be made. */
  thumbnail?: string;
  /** The picture's file name as it was sent (`lantern.png`), when the page knew it. */
  pictureName?: string;
  /** `texture`: the person's mesh painted from the picture (absent: a model made from it). */
  kind?: 'texture';
  /** The painted mesh's file name, when the page knew it. */
  meshName?: string;
  generationTime?: number;
}

/** localStorage key; the version changes when the entry shape does. */
export const HISTORY_KEY = 'kiln3d.history.v1';
/** The most entries kept. */
export const HISTORY_LIMIT = 24;
/** Whether the server's cleanup has deleted the model by now (it counts from creation). */
export function isExpired(entry: HistoryEntry, now: number, retentionHours: number): boolean {
  return now - entry.createdAt >= retentionHours * 3600 * 1000;
}

function isEntry(value: unknown): value is HistoryEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry['modelId'] === 'string' &&
    isModelId(entry['modelId']) &&
    typeof entry['taskId'] === 'string' &&
    typeof entry['createdAt'] === 'number' &&
    Number.isFinite(entry['createdAt']) &&
    (entry['thumbnail'] === undefined || typeof entry['thumbnail'] === 'string') &&
    hasValidFileNames(entry)
  );
}

/**
 * Whether a stored record's optional `pictureName`, `kind` ('texture') and `meshName` are absent
 * or of their type (a history entry's and a PendingTask's alike).
 */
export function hasValidFileNames(record: Record<string, unknown>): boolean {
  return (
    (record['pictureName'] === undefined || typeof record['pictureName'] === 'string') &&
    (record['kind'] === undefined || record['kind'] === 'texture') &&
    (record['meshName'] === undefined || typeof record['meshName'] === 'string')
  );
}

/** Valid, unexpired, newest first, one per model, at most HISTORY_LIMIT. */
export function pruneHistory(
  entries: readonly unknown[],
  now: number,
  retentionHours: number,
): HistoryEntry[] {
  const seen = new Set<string>();
  return entries
    .filter(isEntry)
    .filter((entry) => !isExpired(entry, now, retentionHours))
    .sort((a, b) => b.createdAt - a.createdAt)
    .filter((entry) => (seen.has(entry.modelId) ? false : (seen.add(entry.modelId), true)))
    .slice(0, HISTORY_LIMIT);
}

/**
 * A list kept in localStorage (the history, PendingTasks), or an empty one when it is absent or
 * not JSON; its entries are checked later.
 */
export function parseStoredList(raw: string | null): unknown[] {
  if (raw === null) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/**
 * This browser's generations, kept in localStorage and dropped once the server has deleted them.
 * Every open tab shows the same list: a change saved by one tab reaches the others through the
 * `storage` event (fired in every other same-origin document, never in the one that wrote).
 */
@Injectable({ providedIn: 'root' })
export class HistoryStore {
  private readonly entriesSignal = signal<HistoryEntry[]>([]);
  readonly entries = this.entriesSignal.asReadonly();
  private retentionHours = 48;

  constructor() {
    this.reload(Date.now());
    // key null: another tab cleared the whole storage.
    const onStorage = (event: StorageEvent): void => {
      if (event.key === HISTORY_KEY || event.key === null) this.reload(Date.now());
    };
    globalThis.addEventListener?.('storage', onStorage);
    inject(DestroyRef).onDestroy(() => globalThis.removeEventListener?.('storage', onStorage));
  }

  /** Applies the server's retention (GET /api/config) and drops what it has deleted. */
  setRetentionHours(hours: number, now = Date.now()): void {
    this.retentionHours = hours;
    this.reload(now);
  }

  /** Adds a model (newest first, one entry per model) and saves. */
  add(entry: HistoryEntry, now = Date.now()): void {
    this.save(pruneHistory([entry, ...this.entriesSignal()], now, this.retentionHours));
  }

  /** Removes one model from the list (the model itself stays on the server). */
  remove(modelId: string): void {
    this.save(this.entriesSignal().filter((entry) => entry.modelId !== modelId));
  }

  /** Empties the list. */
  clear(): void {
    this.save([]);
  }

  /** Reads the stored list again, dropping expired and malformed entries (and saving that). */
  reload(now: number): void {
    const stored = parseStoredList(this.storage()?.getItem(HISTORY_KEY) ?? null);
    const pruned = pruneHistory(stored, now, this.retentionHours);
    this.entriesSignal.set(pruned);
    if (pruned.length !== stored.length) this.write(pruned);
  }

  private save(entries: HistoryEntry[]): void {
    this.entriesSignal.set(entries);
    this.write(entries);
  }

  private write(entries: HistoryEntry[]): void {
    const storage = this.storage();
    if (!storage) return;
    try {
      storage.setItem(HISTORY_KEY, JSON.stringify(entries));
    } catch {
      // Quota: drop thumbnails (the bulk) and try once more; the list still works without them.
      try {
        storage.setItem(HISTORY_KEY, JSON.stringify(entries.map(({ thumbnail: _t, ...rest }) => rest)));
      } catch {
        // Storage full or blocked: history lives for this page only.
      }
    }
  }

  private storage(): Storage | undefined {
    try {
      return globalThis.localStorage ?? undefined;
    } catch {
      return undefined;
    }
  }
}
