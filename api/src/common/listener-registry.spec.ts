import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListenerRegistry } from './listener-registry';

void describe('ListenerRegistry', () => {
  void it('groups listeners by key and drops a key with its last listener', () => {
    const registry = new ListenerRegistry<string>();
    const removeA = registry.add('task-1', 'a');
    const removeB = registry.add('task-1', 'b');
    registry.add('task-2', 'c');
    assert.deepEqual([...registry.get('task-1')], ['a', 'b']);
    assert.deepEqual([...registry.get('unknown')], []);
    removeA();
    assert.deepEqual([...registry.get('task-1')], ['b']);
    assert.equal(registry.size, 2);
    removeB();
    assert.equal(registry.size, 1);
    registry.clear();
    assert.equal(registry.size, 0);
  });

  void it('a stale remover after clear() does not drop a newer listener of the same key', () => {
    const registry = new ListenerRegistry<string>();
    const stale = registry.add('k', 'old');
    registry.clear();
    registry.add('k', 'new');
    stale();
    assert.deepEqual([...registry.get('k')], ['new']);
  });
});
