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
    expect(() => memory.forget()).not.toThrow();
  });
});
