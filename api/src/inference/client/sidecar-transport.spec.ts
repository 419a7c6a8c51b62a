/**
 * The gRPC transport against a throwaway in-process grpc-js server speaking proto/inference.proto
 * (an addition to the medium tests, which use the real Python sidecar): message size limit, stream
 * statuses, cancellation reaching the server, Health deadline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../generated/inference';
import type { GenerateEvent__Output } from '../generated/kiln3d/inference/v1/GenerateEvent';
import type { InferenceHandlers } from '../generated/kiln3d/inference/v1/Inference';
import { MAX_MESSAGE_BYTES, PROTO_LOADER_OPTIONS, findProtoFile } from './inference-proto';
import { GrpcSidecarTransportFactory, SidecarTransport, StreamFailure, grpcDetails } from './sidecar-transport';

const protoPath = findProtoFile(join(process.cwd(), 'inference'));

interface Outcome {
  events: GenerateEvent__Output[];
  failure?: StreamFailure;
  ended?: boolean;
}

void describe('GrpcSidecarTransport (in-process grpc-js server)', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln3d-transport-'));
  const address = `unix://${join(dir, 'test.sock')}`;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  let transport: SidecarTransport;
  let lastImageBytes = 0;
  let serverSawCancel: () => void;
  const cancelSeen = new Promise<void>((resolve) => (serverSawCancel = resolve));
  let slowHealth = false;
  /** The authorization metadata of the last Generate and the last Health call. */
  const authorization: { generate?: grpc.MetadataValue[]; health?: grpc.MetadataValue[] } = {};

  const handlers: InferenceHandlers = {
    Generate: (call) => {
      authorization.generate = call.metadata.get('authorization');
      lastImageBytes = call.request.image.length;
      switch (call.request.taskId) {
        case 'ok':
          call.write({ progress: { stage: 'STAGE_GEOMETRY', percent: 42, message: 'sampling 3/12' } });
          call.write({ modelChunk: { offset: 0, data: Buffer.from('model') } });
          call.write({ done: { triangles: 10, bytes: 5, seconds: 1, engine: 'x', sha256: Buffer.alloc(32) } });
          call.end();
          return;
        case 'crash':
          call.emit('error', { code: grpc.status.UNKNOWN, details: 'boom' });
          return;
        case 'wait-for-cancel':
          call.on('cancelled', () => serverSawCancel());
          call.write({ progress: { stage: 'STAGE_PREPROCESS', percent: 1, message: 'started' } });
          return;
        default:
          call.end();
      }
    },
    Health: (call, callback) => {
      authorization.health = call.metadata.get('authorization');
      const answer = (): void =>
        callback(null, { state: 'READY', engine: 'simulate', device: 'cpu', pid: 1234, jobsDone: 3 });
      if (slowHealth) setTimeout(answer, 500);
      else answer();
    },
  };

  before(async () => {
    const definition = protoLoader.loadSync(protoPath, PROTO_LOADER_OPTIONS);
    const proto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
    server.addService(proto.kiln3d.inference.v1.Inference.service, handlers);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
    );
    transport = new GrpcSidecarTransportFactory(protoPath).connect(address);
  });

  after(async () => {
    transport.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (taskId: string, image = Buffer.from('img')): { outcome: Promise<Outcome>; cancel: () => void } => {
    const outcome: Outcome = { events: [] };
    let cancel!: () => void;
    const promise = new Promise<Outcome>((resolve) => {
      const call = transport.generate(
        { taskId, image, seed: 1, timeoutS: 10 },
        {
          onEvent: (event) => outcome.events.push(event),
          onFailure: (failure) => resolve({ ...outcome, failure }),
          onEnd: () => resolve({ ...outcome, ended: true }),
        },
      );
      cancel = () => call.cancel();
    });
    return { outcome: promise, cancel };
  };

  void test('Health returns the typed response (enums as names, int64 as numbers)', async () => {
    const health = await transport.health(2_000);
    assert.equal(health.state, 'READY');
    assert.equal(health.pid, 1234);
    assert.equal(health.jobsDone, 3);
    assert.equal(health.vramTotalBytes, 0, 'defaults filled in');
  });

  void test('Health past its deadline rejects with DEADLINE_EXCEEDED', async () => {
    slowHealth = true;
    try {
      await assert.rejects(transport.health(100), (e: unknown) => (e as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED);
    } finally {
      slowHealth = false;
    }
  });

  void test('a 20 MB request passes', async () => {
    const { outcome } = run('ok', Buffer.alloc(20 * 1024 * 1024, 7));
    const result = await outcome;
    assert.equal(lastImageBytes, 20 * 1024 * 1024);
    assert.equal(result.failure, undefined);
    assert.deepEqual(
      result.events.map((e) => e.event),
      ['progress', 'modelChunk', 'done'],
    );
    assert.equal(result.events[0].progress?.stage, 'STAGE_GEOMETRY');
    assert.equal(String(result.events[1].modelChunk?.data), 'model');
    assert.equal(result.events[2].done?.triangles, 10);
    assert.equal(result.ended, true);
  });

  void test('a request over 64 MB is refused with RESOURCE_EXHAUSTED, not sent', async () => {
    lastImageBytes = 0;
    const result = await run('ok', Buffer.alloc(MAX_MESSAGE_BYTES + 1024)).outcome;
    assert.equal(result.failure?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(lastImageBytes, 0);
  });

  void test('a handler error arrives as a stream failure with its status', async () => {
    const result = await run('crash').outcome;
    assert.equal(result.failure?.code, grpc.status.UNKNOWN);
    assert.match(result.failure?.details ?? '', /boom/);
  });

  void test('cancel() reaches the server and ends the stream as CANCELLED', async () => {
    const { outcome, cancel } = run('wait-for-cancel');
    await new Promise((resolve) => setTimeout(resolve, 100));
    cancel();
    const result = await outcome;
    assert.equal(result.failure?.code, grpc.status.CANCELLED);
    await cancelSeen;
  });

  void test('the shared secret goes on every call as a bearer authorization header, and none without one', async () => {
    await run('ok').outcome;
    await transport.health(2_000);
    assert.deepEqual(authorization, { generate: [], health: [] });
    const withToken = new GrpcSidecarTransportFactory(protoPath, 'a-long-enough-shared-secret').connect(address);
    try {
      await new Promise<void>((resolve) => {
        withToken.generate(
          { taskId: 'ok', image: Buffer.from('img') },
          { onEvent: () => undefined, onFailure: () => resolve(), onEnd: () => resolve() },
        );
      });
      await withToken.health(2_000);
      await withToken.health(2_000); // the metadata is not consumed by the first call
    } finally {
      withToken.close();
    }
    assert.deepEqual(authorization, {
      generate: ['Bearer a-long-enough-shared-secret'],
      health: ['Bearer a-long-enough-shared-secret'],
    });
  });

  void test('an unreachable address fails fast with UNAVAILABLE', async () => {
    const nowhere = new GrpcSidecarTransportFactory(protoPath).connect(`unix://${join(dir, 'nobody.sock')}`);
    try {
      await assert.rejects(nowhere.health(2_000), (e: unknown) => {
        const error = e as grpc.ServiceError;
        assert.equal(error.code, grpc.status.UNAVAILABLE);
        // What a log line and a task's error show of it: grpc-js's words, less an empty resolution note.
        const words = grpcDetails(error);
        assert.match(words, /No connection established|connect|ENOENT/);
        assert.doesNotMatch(words, /Resolution note:\s*$/);
        return true;
      });
    } finally {
      nowhere.close();
    }
  });
});
