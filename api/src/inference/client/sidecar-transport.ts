import * as grpc from '@grpc/grpc-js';
import type { GenerateEvent__Output } from '../generated/kiln3d/inference/v1/GenerateEvent';
import type { GenerateRequest } from '../generated/kiln3d/inference/v1/GenerateRequest';
import type { HealthResponse__Output } from '../generated/kiln3d/inference/v1/HealthResponse';
import type { InferenceClient } from '../generated/kiln3d/inference/v1/Inference';
import {
  CHANNEL_OPTIONS,
  InferenceClientConstructor,
  grpcTarget,
  loadInferenceClientConstructor,
} from './inference-proto';

/** A gRPC status that ended a Generate stream other than by a terminal event. */
export interface StreamFailure {
  code: grpc.status;
  details: string;
}

/** Receives one Generate stream: events, then exactly one of onFailure or onEnd. */
export interface GenerateStreamHandlers {
  onEvent: (event: GenerateEvent__Output) => void;
  onFailure: (failure: StreamFailure) => void;
  /** The server closed the stream normally. */
  onEnd: () => void;
}

/** The client side of one running Generate stream. */
export interface GenerateCallHandle {
  /** Cancels the rpc; the sidecar sees the cancellation and stops the job. */
  cancel(): void;
}

/** One connection to one sidecar (one process): the gRPC client in production, a fake in unit tests. */
export abstract class SidecarTransport {
  abstract health(timeoutMs: number): Promise<HealthResponse__Output>;
  abstract generate(request: GenerateRequest, handlers: GenerateStreamHandlers): GenerateCallHandle;
  abstract close(): void;
}

/** Opens a SidecarTransport to an address (unix:///path or host:port). */
export abstract class SidecarTransportFactory {
  abstract connect(address: string): SidecarTransport;
}

/**
 * SidecarTransport over grpc-js, with the channel options of inference-proto.ts. Every call carries
 * the shared secret, when there is one, as `authorization: Bearer <token>` metadata (proto Inference).
 */
export class GrpcSidecarTransport extends SidecarTransport {
  private readonly client: InferenceClient;
  private readonly metadata: grpc.Metadata;

  constructor(clientConstructor: InferenceClientConstructor, address: string, token?: string) {
    super();
    this.client = new clientConstructor(grpcTarget(address), grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    this.metadata = new grpc.Metadata();
    if (token !== undefined) this.metadata.set('authorization', `Bearer ${token}`);
  }

  health(timeoutMs: number): Promise<HealthResponse__Output> {
    return new Promise((resolve, reject) => {
      this.client.health({}, this.metadata.clone(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(error);
        else if (response === undefined) reject(new Error('empty Health response'));
        else resolve(response);
      });
    });
  }

  generate(request: GenerateRequest, handlers: GenerateStreamHandlers): GenerateCallHandle {
    const call = this.client.generate(request, this.metadata.clone());
    // grpc-js ends the stream ('end') as well as failing it ('error') on a non-OK status: the
    // handlers hear only the first.
    let finished = false;
    call.on('data', (event: GenerateEvent__Output) => {
      if (!finished) handlers.onEvent(event);
    });
    call.on('error', (error: grpc.ServiceError) => {
      if (finished) return;
      finished = true;
      handlers.onFailure({ code: error.code, details: grpcDetails(error) });
    });
    call.on('end', () => {
      if (finished) return;
      finished = true;
      handlers.onEnd();
    });
    return { cancel: () => call.cancel() };
  }

  close(): void {
    this.client.close();
  }
}

/** Loads proto/inference.proto once and opens GrpcSidecarTransports from it, all with one secret (INFERENCE_TOKEN). */
export class GrpcSidecarTransportFactory extends SidecarTransportFactory {
  private readonly clientConstructor: InferenceClientConstructor;

  constructor(
    protoPath: string,
    private readonly token?: string,
  ) {
    super();
    this.clientConstructor = loadInferenceClientConstructor(protoPath);
  }

  connect(address: string): SidecarTransport {
    return new GrpcSidecarTransport(this.clientConstructor, address, this.token);
  }
}

/**
 * A gRPC error's words for a log line or a task's error: its details (else its message), without
 * the empty "Resolution note:" grpc-js appends to a connection failure when the resolver had
 * nothing to add ("No connection established. Last error: … Resolution note: ").
 */
export function grpcDetails(error: Error & { details?: string }): string {
  return (error.details || error.message).replace(/\s*Resolution note:\s*$/, '');
}
