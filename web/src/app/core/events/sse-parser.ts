/** One thing a Server-Sent Events stream said: an event, a comment (heartbeat), or a retry hint. */
export type SseItem =
  | { kind: 'event'; type: string; data: string; id: string | undefined }
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; ms: number };

/**
 * The text/event-stream format (WHATWG HTML, "Server-sent events"), fed in chunks as they arrive:
 * lines end with CRLF, LF or CR; a blank line dispatches the event gathered so far; `:` starts a
 * comment, which an EventSource hides but a watchdog needs (the server's heartbeats are comments).
 */
export class SseParser {
  private buffer = '';
  /** The chunk ended on CR: an LF starting the next chunk belongs to the same line end. */
  private pendingCr = false;
  private type = '';
  private data: string[] = [];
  private id: string | undefined;
  private hasData = false;

  /** Parses one chunk of text; returns what its complete lines said, in order. */
  feed(chunk: string): SseItem[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const items: SseItem[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const char = this.buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (char === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      const item = this.line(line);
      if (item) items.push(item);
    }
    this.buffer = this.buffer.slice(start);
    return items;
  }

  private line(line: string): SseItem | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).trimStart() };
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        return undefined;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        return undefined;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        return undefined;
      case 'retry':
        return /^\d+$/.test(value) ? { kind: 'retry', ms: Number(value) } : undefined;
      default:
        return undefined;
    }
  }

  private dispatch(): SseItem | undefined {
    const item: SseItem | undefined = this.hasData
      ? { kind: 'event', type: this.type || 'message', data: this.data.join('\n'), id: this.id }
      : undefined;
    this.type = '';
    this.data = [];
    this.hasData = false;
    // The id persists as the stream's last event id; the event carries it.
    return item;
  }
}
