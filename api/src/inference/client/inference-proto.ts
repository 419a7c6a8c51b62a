import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../generated/inference';

/**
 * How proto/inference.proto is read at run time. The generated types in ../generated/ describe
 * exactly these shapes, so the two option sets below must stay in step (the codegen spec checks).
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const GEN_TYPES_FLAGS: readonly string[] = [
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--includeComments',
  '--grpcLib=@grpc/grpc-js',
];

export const PROTO_FILE_NAME = 'inference.proto';

/**
 * proto/ sits at the repository root, beside inference/. The compiled code lives at different
 * depths (dist/api, dist/api-test/src), so look beside the configured inference dir first, then
 * walk up from this file.
 */
export function findProtoFile(inferenceDir: string): string {
  const candidates = [join(dirname(resolve(inferenceDir)), 'proto', PROTO_FILE_NAME)];
  for (let dir = __dirname; ; dir = dirname(dir)) {
    candidates.push(join(dir, 'proto', PROTO_FILE_NAME));
    if (dirname(dir) === dir) break;
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(`Cannot find proto/${PROTO_FILE_NAME} (looked in ${candidates.join(', ')})`);
  }
  return found;
}

/** The generated client class of the Inference service. */
export type InferenceClientConstructor = ProtoGrpcType['kiln3d']['inference']['v1']['Inference'];

/** Reads the proto at run time (with PROTO_LOADER_OPTIONS) and returns its Inference client class. */
export function loadInferenceClientConstructor(protoPath: string): InferenceClientConstructor {
  const definition = protoLoader.loadSync(protoPath, PROTO_LOADER_OPTIONS);
  const proto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return proto.kiln3d.inference.v1.Inference;
}

/** 64 MB each way: an input picture is at most 10 MB, but leave room for larger ones. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  // A restarted sidecar binds its socket within seconds; grpc's default reconnect backoff grows
  // to 120 s and would hide it that long.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
};

/** INFERENCE_URL is host:port or unix:///path; tolerate an http:// or grpc:// prefix on host:port. */
export function grpcTarget(address: string): string {
  return address.replace(/^(?:grpc|http):\/\//, '');
}
