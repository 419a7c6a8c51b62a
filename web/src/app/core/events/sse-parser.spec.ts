import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('parses named events with ids, comments and retry, across chunk boundaries', () => {
    const parser = new SseParser();
    const items = [
      ...parser.feed('retry: 2000\nid: 7\nevent: queued\nda'),
      ...parser.feed('ta: {"position":1}\n\n: heartbeat 2026-01-01T00:00:00Z\n\nevent: processing\r'),
      ...parser.feed('\ndata: {"progress":5}\r\n\r\n'),
    ];
    expect(items).toEqual([
      { kind: 'retry', ms: 2000 },
      { kind: 'event', type: 'queued', data: '{"position":1}', id: '7' },
      { kind: 'comment', text: 'heartbeat 2026-01-01T00:00:00Z' },
      // No id of its own: it carries the stream's last event id, as EventSource does.
      { kind: 'event', type: 'processing', data: '{"progress":5}', id: '7' },
    ]);
  });

  it('joins data lines and names an unnamed event "message"; an event without data is not dispatched', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\ndata: b\n\nevent: x\n\n')).toEqual([
      { kind: 'event', type: 'message', data: 'a\nb', id: undefined },
    ]);
  });

  it('keeps an incomplete line until its end arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('event: completed\ndata: {"a"')).toEqual([]);
    expect(parser.feed(':1}\n\n')).toEqual([
      { kind: 'event', type: 'completed', data: '{"a":1}', id: undefined },
    ]);
  });
});
