import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { ApiError, ErrorMessage } from '../../common/api-error';
import { Clock } from '../../common/clock';
import { ListenerRegistry } from '../../common/listener-registry';
import { loadConfig } from '../../config/app-config';
import type { TaskEvent } from '../events/task-event';
import type { TaskEventsService, TaskListener } from '../events/task-events.service';
import type { TaskRecord, TaskState, TaskStatus } from '../state/task-snapshot';
import type { TaskStore } from '../state/task-store.service';
import { TaskSseMessages, type TaskViewSerialiser, serialiseTaskView } from './task-sse-messages';
import { SSE_RETRY_MS, type TaskStreamAnswer, TaskStreamService } from './task-stream.service';

const ID = '3f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90';
const BASE = 'https://api.example.com';

function state(seq: number, status: TaskStatus, extra: Partial<TaskRecord> = {}): TaskState {
  return { seq, record: { task_id: ID, status, created_at: 'c', updated_at: 'u', ...extra } };
}

/** TaskStore's reads over an in-memory state; `gate` can hold one read back. */
class FakeTaskStore implements Pick<TaskStore, 'require' | 'get'> {
  current: TaskState | undefined;
  gets = 0;
  /** When set, the next get() waits for it to resolve before answering. */
  gate: Promise<void> | undefined;

  async require(taskId: string): Promise<TaskState> {
    const found = await this.get(taskId);
    if (!found) throw new ApiError(404, ErrorMessage.taskNotFound);
    return found;
  }

  async get(taskId: string): Promise<TaskState | undefined> {
    this.gets++;
    const gate = this.gate;
    this.gate = undefined;
    if (gate) await gate;
    // A copy, as a Redis read parses a new object each time.
    return taskId === ID && this.current !== undefined ? structuredClone(this.current) : undefined;
  }
}

/** TaskEventsService's fan-out, fed by hand instead of Redis pub/sub. */
class FakeTaskEvents implements Pick<TaskEventsService, 'subscribe'> {
  readonly listeners = new ListenerRegistry<TaskListener>();

  subscribe(taskId: string, listener: TaskListener): () => void {
    return this.listeners.add(taskId, listener);
  }

  publish(event: TaskState): void {
    const message: TaskEvent = { ...event, taskId: ID };
    for (const listener of this.listeners.get(ID)) listener(message);
  }
}

function setup(heartbeatS = '15') {
  const store = new FakeTaskStore();
  const events = new FakeTaskEvents();
  /** Every call of the serialiser: which record, for which base URL. */
  const serialised: { record: TaskRecord; baseUrl: string }[] = [];
  const counting: TaskViewSerialiser = (record, baseUrl) => {
    serialised.push({ record, baseUrl });
    return serialiseTaskView(record, baseUrl);
  };
  const service = new TaskStreamService(
    loadConfig({ SSE_HEARTBEAT_S: heartbeatS }, '/'),
    store,
    events,
    new Clock(),
    new TaskSseMessages(counting),
  );
  return { store, events, service, serialised };
}

/** One event or comment of the stream, parsed back from the bytes it wrote. */
interface Message {
  id?: string;
  type?: string;
  retry?: number;
  data?: string;
  comment?: string;
}

/** An event's `data`: the view's JSON. */
function dataOf(message: Message): Record<string, unknown> {
  assert.equal(typeof message.data, 'string');
  return JSON.parse(message.data as string) as Record<string, unknown>;
}

/** Parses text/event-stream blocks (each ends with a blank line) as a client would. */
function parseBlocks(text: string): Message[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map((block) => {
      const message: Message = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(': ')) message.comment = line.slice(2);
        else if (line.startsWith('event: ')) message.type = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('retry: ')) message.retry = Number(line.slice(7));
        else if (line.startsWith('data: ')) message.data = line.slice(6);
        else assert.fail(`unexpected line ${JSON.stringify(line)}`);
      }
      return message;
    });
}

/**
 * A Writable standing in for the response: collects what the stream writes. `paused` holds
 * every write's callback back (a reader that takes no byte), so the buffer fills past its
 * highWaterMark as a socket's does; resume() lets them go (the socket drains).
 */
class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  private held: (() => void)[] = [];
  paused = false;

  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    if (this.paused) this.held.push(callback);
    else callback();
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    held.forEach((callback) => callback());
  }
}

/** Attaches an answer's stream to a Sink and reads back what it wrote. */
function collect(answer: TaskStreamAnswer, sink = new Sink()) {
  assert.equal(answer.kind, 'events');
  if (answer.kind !== 'events') assert.fail('no stream');
  answer.attach(sink);
  return {
    sink,
    /** Every event and comment written so far, in order. */
    get messages(): Message[] {
      return parseBlocks(Buffer.concat(sink.chunks).toString('utf8'));
    },
    /** The stream ended the response (after its terminal event). */
    completed: () => sink.writableEnded,
    /** The client goes away; resolves once the stream saw it ('close'). */
    stop: async (): Promise<void> => {
      sink.destroy();
      await once(sink, 'close');
    },
  };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

void describe('TaskStreamService', () => {
  void it('answers 404 for an unknown or malformed id, before any stream exists', async () => {
    const { service } = setup();
    for (const id of ['0f0c2a4e-8d1b-4c6e-9a7f-2b5d8e1c4a90', 'not-a-uuid']) {
      await assert.rejects(service.open(id, undefined, BASE), (e: ApiError) => e.status === 404);
    }
  });

  void it('sends the current state first (with retry), then only newer events, and completes after the terminal one', async () => {
    const { store, events, service } = setup();
    store.current = state(3, 'queued', { position: 1 });
    const read = collect(await service.open(ID, undefined, BASE));
    await tick();
    assert.deepEqual(read.messages, [
      {
        id: '3',
        type: 'queued',
        retry: SSE_RETRY_MS,
        data: JSON.stringify({
          task_id: ID,
          kind: 'generate',
          status: 'queued',
          position: 1,
          created_at: 'c',
          updated_at: 'u',
        }),
      },
    ]);
    events.publish(state(3, 'queued', { position: 1 }));
    events.publish(state(4, 'processing', { progress: 10 }));
    events.publish(state(4, 'processing', { progress: 10 }));
    events.publish(
      state(5, 'completed', { model_path: `/static/${ID}.glb`, download_path: `/static/${ID}.source.glb` }),
    );
    assert.deepEqual(
      read.messages.map((m) => [m.id, m.type, m.retry]),
      [
        ['3', 'queued', SSE_RETRY_MS],
        ['4', 'processing', undefined],
        ['5', 'completed', undefined],
      ],
    );
    const done = dataOf(read.messages[2]);
    assert.equal(done['model_url'], `${BASE}/static/${ID}.glb`, 'URLs absolute for this reader');
    assert.equal(read.completed(), true);
    assert.equal(events.listeners.size, 0, 'listener dropped on completion');
    events.publish(state(6, 'failed'));
    assert.equal(read.messages.length, 3);
  });

  void it('keeps events raced in while the current state is read, in order, without repeats', async () => {
    const { store, events, service } = setup();
    store.current = state(2, 'queued');
    let release!: () => void;
    store.gate = new Promise<void>((resolve) => (release = resolve));
    const opening = service.open(ID, undefined, BASE);
    store.current = state(4, 'processing');
    events.publish(state(5, 'processing', { progress: 50 }));
    events.publish(state(3, 'queued'));
    events.publish(state(4, 'processing'));
    release();
    const answer = await opening;
    // And one that comes between the answer and the response's headers.
    events.publish(state(6, 'processing', { progress: 60 }));
    const read = collect(answer);
    assert.deepEqual(
      read.messages.map((m) => m.id),
      ['4', '5', '6'],
    );
    await read.stop();
  });

  void it('on a reconnect sends the current state first, whatever Last-Event-ID says, and ends at a terminal state', async () => {
    const { store, service } = setup();
    store.current = state(9, 'processing', { progress: 40 });
    for (const lastEventId of ['3', '9', '999', 'garbage']) {
      const read = collect(await service.open(ID, lastEventId, BASE));
      await tick();
      assert.deepEqual(
        read.messages.map((m) => [m.id, m.type]),
        [['9', 'processing']],
      );
      await read.stop();
    }
    store.current = state(9, 'completed', { generation_time: 3 });
    for (const lastEventId of [undefined, '8', 'garbage']) {
      const read = collect(await service.open(ID, lastEventId, BASE));
      await tick();
      assert.deepEqual(
        read.messages.map((m) => [m.id, m.type]),
        [['9', 'completed']],
        `Last-Event-ID ${lastEventId}: the terminal event once`,
      );
      assert.equal(read.completed(), true);
    }
  });

  void it('a reconnect that already had the terminal event of a finished task is caught up (204)', async () => {
    const { store, events, service } = setup();
    for (const status of ['completed', 'failed'] as const) {
      store.current = state(9, status);
      for (const lastEventId of ['9', '10', '999']) {
        assert.deepEqual(
          await service.open(ID, lastEventId, BASE),
          { kind: 'caughtUp' },
          `${status} ${lastEventId}`,
        );
      }
    }
    assert.equal(events.listeners.size, 0, 'nothing subscribed for a caught-up client');
  });

  void it('writes heartbeat comments and catches up a change whose pub/sub message was lost', async () => {
    const { store, service } = setup('0.05');
    store.current = state(1, 'queued');
    const read = collect(await service.open(ID, undefined, BASE));
    await tick();
    store.current = state(2, 'processing', { progress: 5 });
    await tick(130);
    const comments = read.messages.filter((m) => m.comment !== undefined);
    assert.ok(comments.length >= 1, 'a heartbeat within 130 ms at 50 ms');
    assert.match(String(comments[0].comment), /^heartbeat \d{4}-\d\d-\d\dT/);
    assert.deepEqual(
      read.messages.filter((m) => m.id !== undefined).map((m) => [m.id, m.type]),
      [
        ['1', 'queued'],
        ['2', 'processing'],
      ],
    );
    await read.stop();
  });

  void it('drops its listener and heartbeat when the client goes away', async () => {
    const { store, events, service } = setup('0.05');
    store.current = state(1, 'queued');
    const read = collect(await service.open(ID, undefined, BASE));
    await tick();
    assert.equal(events.listeners.size, 1);
    await read.stop();
    assert.equal(events.listeners.size, 0);
    assert.deepEqual(service.openStreams, { streams: 0, tasks: 0 });
    const reads = store.gets;
    const emitted = read.messages.length;
    await tick(150);
    assert.equal(store.gets, reads, 'no heartbeat re-read after the client left');
    assert.equal(read.messages.length, emitted);
  });

  void it('leaves nothing subscribed for an unknown task, nor for an answer never attached', async () => {
    const { store, events, service } = setup();
    await assert.rejects(service.open(ID, undefined, BASE), (e: ApiError) => e.status === 404);
    assert.equal(events.listeners.size, 0);
    store.current = state(1, 'queued');
    const answer = await service.open(ID, undefined, BASE);
    assert.equal(events.listeners.size, 1);
    if (answer.kind === 'events') answer.cancel();
    assert.equal(events.listeners.size, 0);
    assert.deepEqual(service.openStreams, { streams: 0, tasks: 0 });
  });

  void it('announces a preview in the snapshot alone: no `preview` event, the view names its URL', async () => {
    const { store, events, service } = setup();
    const preview = (rev: number): TaskRecord['preview'] => ({
      rev,
      stage: rev === 1 ? 'structure' : 'geometry',
      resolution: rev === 1 ? 32 : 64,
      count: 10,
      encoding: 'xyz8',
      bytes: 30,
    });
    store.current = state(7, 'processing', { progress: 30, preview: preview(1) });
    const read = collect(await service.open(ID, '6', BASE));
    await tick();
    events.publish(state(8, 'processing', { progress: 40, preview: preview(1) }));
    events.publish(state(9, 'processing', { progress: 60, preview: preview(2) }));
    events.publish(state(10, 'completed', { progress: 100, preview: preview(2) }));
    assert.deepEqual(
      read.messages.map((m) => [m.id, m.type]),
      [
        ['7', 'processing'],
        ['8', 'processing'],
        ['9', 'processing'],
        ['10', 'completed'],
      ],
    );
    assert.deepEqual(dataOf(read.messages[0])['preview'], {
      ...preview(1),
      url: `${BASE}/api/tasks/${ID}/preview?rev=1`,
    });
    assert.deepEqual(dataOf(read.messages[2])['preview'], {
      ...preview(2),
      url: `${BASE}/api/tasks/${ID}/preview?rev=2`,
    });
    assert.equal(read.completed(), true);
  });

  void it('serialises a published event once per base URL, however many streams send it', async (t) => {
    const { store, events, service, serialised } = setup();
    const OTHER = 'http://192.168.1.20:3000';
    store.current = state(1, 'processing', { progress: 0 });
    const streams: ReturnType<typeof collect>[] = [];
    t.after(() => Promise.all(streams.map((read) => read.stop())));
    for (let i = 0; i < 50; i++) {
      streams.push(collect(await service.open(ID, undefined, i % 5 === 0 ? OTHER : BASE)));
    }
    await tick();
    // The current state is read for each stream on its own: one serialisation each.
    assert.equal(serialised.length, 50);
    const published = [2, 3, 4].map((seq) =>
      state(seq, 'processing', {
        progress: seq * 10,
        preview: { rev: seq, stage: 'geometry', resolution: 64, count: 3, encoding: 'xyz8', bytes: 9 },
      }),
    );
    for (const event of published) events.publish(event);
    const fannedOut = serialised.slice(50);
    assert.equal(fannedOut.length, published.length * 2, '3 events × 2 base URLs, not × 50 streams');
    for (const event of published) {
      assert.deepEqual(
        fannedOut
          .filter((s) => s.record.progress === event.record.progress)
          .map((s) => s.baseUrl)
          .sort(),
        [BASE, OTHER].sort(),
      );
    }
    for (const [index, read] of streams.entries()) {
      const baseUrl = index % 5 === 0 ? OTHER : BASE;
      assert.deepEqual(
        read.messages.map((m) => [m.id, m.type]),
        [
          ['1', 'processing'],
          ['2', 'processing'],
          ['3', 'processing'],
          ['4', 'processing'],
        ],
      );
      const last = dataOf(read.messages[3]);
      assert.equal(last['progress'], 40);
      assert.equal(
        (last['preview'] as Record<string, unknown>)['url'],
        `${baseUrl}/api/tasks/${ID}/preview?rev=4`,
        'URLs absolute for this reader',
      );
      // The very bytes written to the other streams with this base URL: shared, not rebuilt.
      const peer = streams[index % 5 === 0 ? 0 : 1];
      assert.equal(read.sink.chunks[3], peer.sink.chunks[3]);
    }
    assert.equal(events.listeners.size, 1);
    assert.equal(
      [...events.listeners.get(ID)].length,
      1,
      'one event listener for the 50 streams of the task',
    );
  });

  void it('re-reads each task once per heartbeat, however many streams follow it', async (t) => {
    const { store, service } = setup('0.05');
    store.current = state(1, 'processing', { progress: 0 });
    const streams: ReturnType<typeof collect>[] = [];
    t.after(() => Promise.all(streams.map((read) => read.stop())));
    for (let i = 0; i < 20; i++) streams.push(collect(await service.open(ID, undefined, BASE)));
    const readsOnConnect = store.gets;
    store.current = state(2, 'processing', { progress: 5 });
    // Until two ticks have written their heartbeat (a wait, not a timed assertion).
    while (streams[0].messages.filter((m) => m.comment !== undefined).length < 2) await tick(20);
    const beats = streams[0].messages.filter((m) => m.comment !== undefined).length;
    assert.equal(store.gets - readsOnConnect, beats, 'one read per tick for the 20 streams');
    for (const read of streams) {
      assert.deepEqual(
        read.messages.filter((m) => m.id !== undefined).map((m) => m.id),
        ['1', '2'],
        'the change caught up by the shared re-read',
      );
    }
  });

  void it('keeps only the newest event for a reader whose socket has not drained, then writes it', async () => {
    const { store, events, service } = setup();
    store.current = state(1, 'processing', { progress: 0 });
    const sink = new Sink(64);
    sink.paused = true;
    const read = collect(await service.open(ID, undefined, BASE), sink);
    assert.equal(sink.writableNeedDrain, true, 'the first event filled the buffer');
    for (let seq = 2; seq <= 200; seq++) events.publish(state(seq, 'processing', { progress: seq % 100 }));
    assert.equal(sink.chunks.length, 1, 'nothing queued behind a full buffer');
    const drained = once(sink, 'drain');
    sink.resume();
    await drained;
    await tick();
    assert.deepEqual(
      read.messages.map((m) => m.id),
      ['1', '200'],
    );
    events.publish(state(201, 'completed', { progress: 100 }));
    assert.deepEqual(
      read.messages.map((m) => [m.id, m.type]),
      [
        ['1', 'processing'],
        ['200', 'processing'],
        ['201', 'completed'],
      ],
    );
    assert.equal(read.completed(), true);
  });

  void it(
    'drops a stream whose socket has not drained for a whole heartbeat interval',
    { timeout: 30_000 },
    async () => {
      const { store, events, service } = setup('0.05');
      store.current = state(1, 'processing', { progress: 0 });
      const sink = new Sink(64);
      sink.paused = true;
      const read = collect(await service.open(ID, undefined, BASE), sink);
      const closed = once(sink, 'close');
      events.publish(state(2, 'processing', { progress: 1 }));
      await closed;
      assert.equal(sink.destroyed, true);
      assert.deepEqual(service.openStreams, { streams: 0, tasks: 0 });
      assert.equal(events.listeners.size, 0);
      assert.deepEqual(
        read.messages.map((m) => m.id),
        ['1'],
        'no heartbeat or event written to it while it did not drain',
      );
    },
  );
});
