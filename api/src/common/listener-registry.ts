/** In-process listeners grouped by key (a task id, a pub/sub channel); the last one removed drops its key. */
export class ListenerRegistry<Listener> {
  private readonly byKey = new Map<string, Set<Listener>>();

  /** Adds a listener under key; returns the function that removes it. */
  add(key: string, listener: Listener): () => void {
    let set = this.byKey.get(key);
    if (!set) {
      set = new Set();
      this.byKey.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byKey.get(key) === set) this.byKey.delete(key);
    };
  }

  get(key: string): Iterable<Listener> {
    return this.byKey.get(key) ?? [];
  }

  /** Number of keys with at least one listener. */
  get size(): number {
    return this.byKey.size;
  }

  clear(): void {
    this.byKey.clear();
  }
}
