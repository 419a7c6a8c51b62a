import { TestBed } from '@angular/core/testing';

import { PENDING_KEY, PENDING_LIMIT, PENDING_MAX_AGE_MS, PendingTasks, prunePending } from './pending-tasks';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('prunePending', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');

  it('keeps valid, young tasks, newest first, one per task, at most PENDING_LIMIT', () => {
    const many = Array.from({ length: PENDING_LIMIT + 3 }, (_, i) => ({ taskId: id(i), sentAt: now - i }));
    const pruned = prunePending(
      [
        { taskId: 'not-a-task-id', sentAt: now },
        { taskId: id(99), sentAt: now - PENDING_MAX_AGE_MS },
        { taskId: id(98), sentAt: now, pictureName: 7 },
        { taskId: id(0), sentAt: now - 50 },
        ...many,
      ],
      now,
    );
    expect(pruned).toHaveLength(PENDING_LIMIT);
    expect(pruned[0]).toEqual({ taskId: id(0), sentAt: now });
    expect(pruned.filter((task) => task.taskId === id(0))).toHaveLength(1);
    expect(pruned.some((task) => task.taskId === id(99) || task.taskId === id(98))).toBe(false);
  });
});

describe('PendingTasks', () => {
  beforeEach(() => localStorage.clear());

  it("adds and removes, in localStorage; another tab's change arrives by the storage event", () => {
    const pending = TestBed.inject(PendingTasks);
    pending.add({ taskId: id(1), pictureName: 'a.png', sentAt: Date.now() });
    expect(JSON.parse(localStorage.getItem(PENDING_KEY) ?? '[]')).toHaveLength(1);
    localStorage.setItem(PENDING_KEY, JSON.stringify([]));
    window.dispatchEvent(new StorageEvent('storage', { key: PENDING_KEY }));
    expect(pending.tasks()).toEqual([]);
    pending.add({ taskId: id(2), sentAt: Date.now() });
    pending.remove(id(2));
    expect(pending.tasks()).toEqual([]);
  });

  it('survives corrupt storage', () => {
    localStorage.setItem(PENDING_KEY, '{not json');
    expect(TestBed.inject(PendingTasks).tasks()).toEqual([]);
  });
});
