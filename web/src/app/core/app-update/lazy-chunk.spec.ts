import type { ChunkVerdict } from './chunk-verdict';
import { ChunkJudge, loadChunk } from './lazy-chunk';

const failedImport = (): TypeError =>
  new TypeError('Failed to fetch dynamically imported module: http://localhost/chunk-M.js');

/** A ChunkJudge answering `verdicts` in turn, with an `online` event the test fires. */
function judgeOf(verdicts: ChunkVerdict[], online = true) {
  const listeners = new Set<() => void>();
  const judge: ChunkJudge & { online: boolean; goOnline(): void; listeners: Set<() => void> } = {
    online,
    listeners,
    judge: vi.fn(() => Promise.resolve(verdicts.shift() ?? 'present')),
    connectivity: {
      online: () => judge.online,
      onOnline: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    },
    goOnline() {
      judge.online = true;
      for (const listener of [...listeners]) listener();
    },
  };
  return judge;
}

describe('loadChunk', () => {
  it('offline: waits for the online event, however long, then loads', async () => {
    const judge = judgeOf(['unreachable'], false);
    const load = vi.fn().mockRejectedValueOnce(failedImport()).mockResolvedValueOnce('menu');
    const loaded = loadChunk(load, judge, { delaysMs: [] });
    await vi.waitFor(() => expect(judge.listeners.size).toBe(1));
    expect(load).toHaveBeenCalledTimes(1);
    judge.goOnline();
    expect(await loaded).toBe('menu');
    expect(load).toHaveBeenCalledTimes(2);
    expect(judge.listeners.size).toBe(0);
  });

  it('a chunk the server still has is tried again after each delay, then given up', async () => {
    const judge = judgeOf(['present', 'present', 'present']);
    const load = vi.fn().mockRejectedValue(failedImport());
    expect(await loadChunk(load, judge, { delaysMs: [1, 1] })).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('a chunk that is gone is not tried again (StaleBuild shows its notice)', async () => {
    const judge = judgeOf(['gone']);
    const load = vi.fn().mockRejectedValue(failedImport());
    expect(await loadChunk(load, judge, { delaysMs: [1, 1] })).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('stops when aborted, and throws other errors as they are', async () => {
    const judge = judgeOf(['unreachable'], false);
    const abort = new AbortController();
    const loaded = loadChunk(vi.fn().mockRejectedValue(failedImport()), judge, { signal: abort.signal });
    await vi.waitFor(() => expect(judge.listeners.size).toBe(1));
    abort.abort();
    expect(await loaded).toBeUndefined();
    expect(judge.listeners.size).toBe(0);
    await expect(loadChunk(vi.fn().mockRejectedValue(new Error('x is undefined')), judge)).rejects.toThrow(
      'x is undefined',
    );
  });
});
