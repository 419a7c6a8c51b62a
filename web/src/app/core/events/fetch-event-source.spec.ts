import { FetchEventSource } from './fetch-event-source';

/** A streamed text/event-stream answer whose bytes the test pushes. */
function streamed(): { response: Response; push(text: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    push: (text) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

function headerOf(init: RequestInit | undefined, name: string): string | undefined {
  return (init?.headers as Record<string, string> | undefined)?.[name];
}

describe('FetchEventSource', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('delivers named events and heartbeats, and resumes with Last-Event-ID after a drop', async () => {
    vi.useFakeTimers();
    const first = streamed();
    const second = streamed();
    const fetchMock = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValueOnce(first.response)
      .mockResolvedValueOnce(second.response);
    const source = new FetchEventSource('/api/status/t1', '3');
    const events: string[] = [];
    source.addEventListener('processing', (event) => events.push(`${event.lastEventId}:${event.data}`));
    const heartbeat = vi.fn();
    source.onheartbeat = heartbeat;
    const onerror = vi.fn();
    source.onerror = onerror;

    expect(headerOf(fetchMock.mock.calls[0]?.[1], 'Last-Event-ID')).toBe('3');
    first.push('id: 4\nevent: processing\ndata: {"progress":1}\n\n: heartbeat\n\n');
    await vi.advanceTimersByTimeAsync(0);
    expect(source.readyState).toBe(1);
    expect(events).toEqual(['4:{"progress":1}']);
    expect(heartbeat).toHaveBeenCalledTimes(1);

    first.end(); // the connection dropped
    await vi.advanceTimersByTimeAsync(0);
    expect(onerror).toHaveBeenCalledTimes(1);
    expect(source.readyState).toBe(0);
    await vi.advanceTimersByTimeAsync(3000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(headerOf(fetchMock.mock.calls[1]?.[1], 'Last-Event-ID')).toBe('4');
    source.close();
  });

  it('closes for good on an answer that is not an event stream (204 after the end, 404)', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 204 }));
    const source = new FetchEventSource('/api/status/t1');
    const closed = new Promise<number>((resolve) => {
      source.onerror = () => resolve(source.readyState);
    });
    expect(await closed).toBe(2);
  });
});
