import { TestBed } from '@angular/core/testing';

import { CurrentTaskMemory } from './current-task-memory';

describe('CurrentTaskMemory', () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => vi.unstubAllGlobals());

  it('keeps the followed task in sessionStorage until it is forgotten', () => {
    const memory = TestBed.inject(CurrentTaskMemory);
    expect(memory.recall()).toBeUndefined();
    memory.remember('t-1');
    expect(sessionStorage.getItem('kiln3d.currentTask')).toBe('t-1');
    expect(memory.recall()).toBe('t-1');
    memory.forget();
    expect(memory.recall()).toBeUndefined();
  });

  it('keeps what the task makes and its picture name with it, and forgets them with it', () => {
    const memory = TestBed.inject(CurrentTaskMemory);
    expect(memory.recallDetails()).toEqual({ kind: 'generate' });
    memory.remember('t-1', 'token', { kind: 'texture', pictureName: 'chair.png' });
    expect(memory.recallDetails()).toEqual({ kind: 'texture', pictureName: 'chair.png' });
    expect(memory.recallToken()).toBe('token');
    memory.remember('t-2');
    expect(memory.recallDetails()).toEqual({ kind: 'generate' });
    expect(memory.recallToken()).toBeUndefined();
    memory.remember('t-3', undefined, { kind: 'texture', pictureName: 'a.png' });
    memory.forget();
    expect(sessionStorage.length).toBe(0);
    expect(memory.recallDetails()).toEqual({ kind: 'generate' });
  });

  it('works without storage (privacy modes block it): nothing is kept, nothing throws', () => {
    vi.stubGlobal('sessionStorage', {
      getItem: () => {
        throw new DOMException('blocked', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('blocked', 'SecurityError');
      },
      removeItem: () => {
        throw new DOMException('blocked', 'SecurityError');
      },
    });
    const memory = TestBed.inject(CurrentTaskMemory);
    expect(() => memory.remember('t-1')).not.toThrow();
    expect(memory.recall()).toBeUndefined();
    expect(memory.recallDetails()).toEqual({ kind: 'generate' });
    expect(() => memory.forget()).not.toThrow();
  });
});
