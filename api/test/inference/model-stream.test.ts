/**
 * Medium test: the api's receiving side of the model stream over real gRPC. GenerateCall on the
 * real GrpcSidecarTransport (grpc-js, TCP on loopback, with the shared secret) against a grpc-js
 * server in this process that speaks proto/inference.proto as the sidecar does (the Python
 * sidecar's own side is tested in inference/tests/test_model_stream.py, and the two together in
 * e2e/remote-sidecar.test.ts). A model of tens of MB arrives intact; a connection torn down in the
 * middle of the model and a wrong digest fail the job and leave no file.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Clock } from '../../src/common/clock';
import { GenerateCall } from '../../src/inference/job/generate-call';
import { PROTO_LOADER_OPTIONS, findProtoFile } from '../../src/inference/client/inference-proto';
import { GrpcSidecarTransportFactory, type SidecarTransport } from '../../src/inference/client/sidecar-transport';
import type { ProtoGrpcType } from '../../src/inference/generated/inference';
import type { GenerateEvent } from '../../src/inference/generated/kiln3d/inference/v1/GenerateEvent';
import type { InferenceHandlers } from '../../src/inference/generated/kiln3d/inference/v1/Inference';
import { InferenceError, type InferenceJob } from '../../src/inference/inference.repository';
import { ROOT, removeDir, tempDir } from './support';

const TOKEN = 'model-stream-medium-secret-0123456789';
const CHUNK = 1024 * 1024;
const MODEL = randomBytes(40 * 1024 * 1024 + 4321);

/** The model's chunks and Done, as the sidecar sends them (`upTo`: only the chunks before that byte). */
function* modelTail(model: Buffer, sha256: Buffer, upTo = model.length): Generator<GenerateEvent> {
  for (let offset = 0; offset < upTo; offset += CHUNK) {
    yield { modelChunk: { offset, data: model.subarray(offset, Math.min(offset + CHUNK, upTo)) } };
  }
  if (upTo === model.length) {
    yield { done: { triangles: 2, bytes: model.length, seconds: 1, engine: 'simulate', sha256 } };
  }
}

void describe('the model stream over real gRPC (GenerateCall, GrpcSidecarTransport)', { timeout: 120_000 }, () => {
  const dir = tempDir('kiln3d-model-stream-');
  const protoPath = findProtoFile(join(ROOT, 'inference'));
  const server = new grpc.Server();
  let transport: SidecarTransport;
  const errors: string[] = [];

  const handlers: InferenceHandlers = {
    Generate: (call) => {
      if (call.metadata.get('authorization')[0] !== `Bearer ${TOKEN}`) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'wrong inference token (INFERENCE_TOKEN)' });
        return;
      }
      const digest = createHash('sha256').update(MODEL).digest();
      const write = (events: Iterable<GenerateEvent>): void => {
        for (const event of events) call.write(event);
      };
      call.write({ progress: { stage: 'STAGE_EXPORT', percent: 99, message: 'exporting' } });
      switch (call.request.taskId) {
        case 'whole':
          write(modelTail(MODEL, digest));
          call.end();
          return;
        case 'wrong-digest':
          write(modelTail(MODEL, Buffer.alloc(32, 1)));
          call.end();
          return;
        case 'cut':
          // Half the model, then every connection is torn down (a sidecar host that went away).
          // The last test: the server is gone after it.
          write(modelTail(MODEL, digest, 20 * CHUNK));
          setTimeout(() => server.forceShutdown(), 50);
          return;
      }
    },
    Health: (_call, callback) => callback(null, { state: 'READY', auth: 'AUTH_OK' }),
  };

  const run = (taskId: string): { job: InferenceJob; outcome: Promise<unknown> } => {
    const job: InferenceJob = {
      taskId,
      image: Buffer.from('png'),
      modelPath: join(dir, `${taskId}.source.glb`),
      seed: 0,
      timeoutS: 60,
    };
    const call = new GenerateCall({ transport, watchExit: null }, new Clock(), { error: (m) => errors.push(m) });
    const outcome = call.run(job, Date.now() + 60_000, () => undefined);
    return { job, outcome: outcome.catch((error: unknown) => error) };
  };

  before(async () => {
    const definition = protoLoader.loadSync(protoPath, PROTO_LOADER_OPTIONS);
    const proto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
    server.addService(proto.kiln3d.inference.v1.Inference.service, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    transport = new GrpcSidecarTransportFactory(protoPath, TOKEN).connect(`127.0.0.1:${port}`);
  });

  after(() => {
    transport.close();
    server.forceShutdown();
    removeDir(dir);
  });

  const partials = (): string[] => readdirSync(dir).filter((name) => name.endsWith('.partial'));

  void test('a 40 MB model arrives byte for byte in 41 chunks', async () => {
    const { job, outcome } = run('whole');
    const result = (await outcome) as { bytes: number };
    assert.equal(result.bytes, MODEL.length);
    assert.ok(readFileSync(job.modelPath).equals(MODEL));
    assert.deepEqual(partials(), []);
  });

  void test('a wrong digest fails the job INTERNAL and keeps no file', async () => {
    const { job, outcome } = run('wrong-digest');
    const error = await outcome;
    assert.ok(error instanceof InferenceError);
    assert.equal(error.code, 'INTERNAL');
    assert.equal(error.message, 'Model stream damaged: SHA-256 does not match');
    assert.ok(!existsSync(job.modelPath));
    assert.deepEqual(partials(), []);
  });

  void test('a connection torn down in the middle of the model fails the job and keeps no file', async () => {
    const { job, outcome } = run('cut');
    const error = await outcome;
    assert.ok(error instanceof InferenceError, String(error));
    assert.ok(['UNAVAILABLE', 'INTERNAL'].includes(error.code), `${error.code}: ${error.message}`);
    assert.ok(!existsSync(job.modelPath));
    assert.deepEqual(partials(), []);
  });
});
