import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type Server, ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { SseOutput } from './sse-client';
import { openSseResponse } from './sse-response';
import { formatComment } from './task-sse-messages';

/** A real HTTP server whose one answer is openSseResponse's output, and a raw client socket. */
async function open(version: 'HTTP/1.1' | 'HTTP/1.0') {
  let resolveOutput!: (output: SseOutput) => void;
  const output = new Promise<SseOutput>((resolve) => (resolveOutput = resolve));
  const server: Server = createServer((_req, res) => resolveOutput(openSseResponse(res)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.write(`GET /api/status/x ${version}\r\nHost: 127.0.0.1\r\n\r\n`);
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  return { output: await output, client, text: () => Buffer.concat(received).toString('latin1') };
}

const servers: Server[] = [];

void describe('openSseResponse', () => {
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  void it('writes each frame to an HTTP/1.1 socket as one chunk, with the socket backpressure and drain', async () => {
    const { output, client, text } = await open('HTTP/1.1');
    assert.ok(!(output instanceof ServerResponse), 'the socket itself, not res.write');
    client.pause();
    // A reader that takes nothing: the kernel's buffers fill, then the socket's own.
    const frame = formatComment('x'.repeat(64 * 1024));
    let writes = 0;
    while (!output.writableNeedDrain && writes < 2000) {
      output.write(frame);
      writes++;
    }
    assert.equal(output.writableNeedDrain, true, `no backpressure after ${writes} frames of 64 KiB`);
    const drained = new Promise<void>((resolve) => output.on('drain', resolve));
    client.resume();
    await drained;
    assert.equal(output.writableNeedDrain, false);
    const closed = new Promise<void>((resolve) => output.on('close', resolve));
    output.end();
    while (!text().endsWith('\r\n0\r\n\r\n')) await once(client, 'data');
    client.end();
    await closed;
    const answer = text();
    const bodyAt = answer.indexOf('\r\n\r\n') + 4;
    assert.match(answer.slice(0, bodyAt), /^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n/i);
    assert.match(answer.slice(0, bodyAt), /\r\ncontent-type: text\/event-stream\r\n/i);
    assert.match(answer.slice(0, bodyAt), /\r\nx-accel-buffering: no\r\n/i);
    const chunk = `${frame.length.toString(16)}\r\n${frame.toString('latin1')}\r\n`;
    assert.equal(answer.slice(bodyAt), chunk.repeat(writes) + '0\r\n\r\n');
  });

  void it('answers an HTTP/1.0 request through res.write, the body ended by the close', async () => {
    const { output, client, text } = await open('HTTP/1.0');
    assert.ok(output instanceof ServerResponse);
    const frame = formatComment('heartbeat');
    output.write(frame);
    output.end();
    await once(client, 'close');
    const answer = text();
    const bodyAt = answer.indexOf('\r\n\r\n') + 4;
    assert.doesNotMatch(answer.slice(0, bodyAt), /transfer-encoding/i);
    assert.equal(answer.slice(bodyAt), ': heartbeat\n\n');
  });
});
