import { TestBed } from '@angular/core/testing';

import {
  HISTORY_KEY,
  HISTORY_LIMIT,
  HistoryEntry,
  HistoryStore,
  isExpired,
  pruneHistory,
} from './history-store';

const HOUR = 3600_000;
const ID_A = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';
const ID_B = '7d2e8f10-3c4b-4a5d-8e6f-9a0b1c2d3e4f';

function entry(modelId: string, createdAt: number): HistoryEntry {
  return { modelId, taskId: `task-${modelId}`, createdAt };
}

describe('history expiry', () => {
  const now = 1_000 * HOUR;

  it('drops entries at the retention age and keeps younger ones', () => {
    expect(isExpired(entry(ID_A, now - 48 * HOUR), now, 48)).toBe(true);
    expect(isExpired(entry(ID_A, now - 47.9 * HOUR), now, 48)).toBe(false);
    expect(pruneHistory([entry(ID_A, now - 49 * HOUR), entry(ID_B, now - HOUR)], now, 48)).toEqual([
      entry(ID_B, now - HOUR),
    ]);
  });

  it('sorts newest first, keeps one entry per model, caps the length and skips junk', () => {
    const many = Array.from({ length: HISTORY_LIMIT + 5 }, (_, i) =>
      entry(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, now - i * 1000),
    );
    const pruned = pruneHistory(
      [
        { nonsense: true },
        { ...entry(ID_A, now - 1), pictureName: 42 },
        entry(ID_A, now - 10),
        entry(ID_A, now - 5),
        ...many,
      ],
      now,
      48,
    );
    expect(pruned).toHaveLength(HISTORY_LIMIT);
    expect(pruned[0]?.createdAt).toBe(now);
    expect(pruned.filter((e) => e.modelId === ID_A)).toEqual([entry(ID_A, now - 5)]);
  });
});

describe('HistoryStore', () => {
  beforeEach(() => localStorage.clear());

  it('persists to localStorage and drops expired entries when loaded', () => {
    const now = Date.now();
    localStorage.setItem(
      HISTORY_KEY,
      JSON.stringify([entry(ID_A, now - 100 * HOUR), entry(ID_B, now - HOUR)]),
    );
    const store = TestBed.inject(HistoryStore);
    expect(store.entries().map((e) => e.modelId)).toEqual([ID_B]);
    expect(JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]')).toHaveLength(1);
    store.add(entry(ID_A, now));
    expect(store.entries().map((e) => e.modelId)).toEqual([ID_A, ID_B]);
    store.remove(ID_B);
    expect(JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]')).toEqual([entry(ID_A, now)]);
    store.setRetentionHours(0.001, now + 10 * HOUR);
    expect(store.entries()).toEqual([]);
  });

  it('shows what another tab saved (the storage event) and ignores other keys', () => {
    const now = Date.now();
    const store = TestBed.inject(HistoryStore);
    expect(store.entries()).toEqual([]);
    // Another tab writes; the browser then fires `storage` here (never in the writing tab).
    const written = JSON.stringify([entry(ID_A, now)]);
    localStorage.setItem(HISTORY_KEY, written);
    window.dispatchEvent(new StorageEvent('storage', { key: 'kiln3d.other', newValue: 'x' }));
    expect(store.entries()).toEqual([]);
    window.dispatchEvent(new StorageEvent('storage', { key: HISTORY_KEY, newValue: written }));
    expect(store.entries().map((e) => e.modelId)).toEqual([ID_A]);
    // Another tab cleared the whole storage (key null).
    localStorage.clear();
    window.dispatchEvent(new StorageEvent('storage', { key: null }));
    expect(store.entries()).toEqual([]);
  });

  it('survives corrupt storage', () => {
    localStorage.setItem(HISTORY_KEY, '{not json');
    expect(TestBed.inject(HistoryStore).entries()).toEqual([]);
  });
});
