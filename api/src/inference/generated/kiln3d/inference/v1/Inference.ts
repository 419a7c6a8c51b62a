// Original file: proto/inference.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  GenerateEvent as _kiln3d_inference_v1_GenerateEvent,
  GenerateEvent__Output as _kiln3d_inference_v1_GenerateEvent__Output,
} from '../../../kiln3d/inference/v1/GenerateEvent';
import type {
  GenerateRequest as _kiln3d_inference_v1_GenerateRequest,
  GenerateRequest__Output as _kiln3d_inference_v1_GenerateRequest__Output,
} from '../../../kiln3d/inference/v1/GenerateRequest';
import type {
  HealthRequest as _kiln3d_inference_v1_HealthRequest,
  HealthRequest__Output as _kiln3d_inference_v1_HealthRequest__Output,
} from '../../../kiln3d/inference/v1/HealthRequest';
import type {
  HealthResponse as _kiln3d_inference_v1_HealthResponse,
  HealthResponse__Output as _kiln3d_inference_v1_HealthResponse__Output,
} from '../../../kiln3d/inference/v1/HealthResponse';

export interface InferenceClient extends grpc.Client {
  /**
   * Runs one job: a model made from the picture, or with GenerateRequest.mesh that mesh painted
   * from the picture (texturing). The stream carries progress and previews, then either the model
   * (ModelChunk events in order, then Done) or one Error. Cancelling the call cancels the job.
   * Requires the shared secret when the sidecar has one: metadata "authorization: Bearer
   * <KILN_INFERENCE_TOKEN>"; a missing or wrong one ends the call with UNAUTHENTICATED.
   */
  Generate(
    argument: _kiln3d_inference_v1_GenerateRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_kiln3d_inference_v1_GenerateEvent__Output>;
  Generate(
    argument: _kiln3d_inference_v1_GenerateRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_kiln3d_inference_v1_GenerateEvent__Output>;
  /**
   * Runs one job: a model made from the picture, or with GenerateRequest.mesh that mesh painted
   * from the picture (texturing). The stream carries progress and previews, then either the model
   * (ModelChunk events in order, then Done) or one Error. Cancelling the call cancels the job.
   * Requires the shared secret when the sidecar has one: metadata "authorization: Bearer
   * <KILN_INFERENCE_TOKEN>"; a missing or wrong one ends the call with UNAUTHENTICATED.
   */
  generate(
    argument: _kiln3d_inference_v1_GenerateRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_kiln3d_inference_v1_GenerateEvent__Output>;
  generate(
    argument: _kiln3d_inference_v1_GenerateRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_kiln3d_inference_v1_GenerateEvent__Output>;

  /**
   * Cheap; never waits for a running job. Open without the secret (container health checks):
   * it names no task and carries no user data. `auth` says whether the caller's secret matched.
   */
  Health(
    argument: _kiln3d_inference_v1_HealthRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  Health(
    argument: _kiln3d_inference_v1_HealthRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  Health(
    argument: _kiln3d_inference_v1_HealthRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  Health(
    argument: _kiln3d_inference_v1_HealthRequest,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Cheap; never waits for a running job. Open without the secret (container health checks):
   * it names no task and carries no user data. `auth` says whether the caller's secret matched.
   */
  health(
    argument: _kiln3d_inference_v1_HealthRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  health(
    argument: _kiln3d_inference_v1_HealthRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  health(
    argument: _kiln3d_inference_v1_HealthRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
  health(
    argument: _kiln3d_inference_v1_HealthRequest,
    callback: grpc.requestCallback<_kiln3d_inference_v1_HealthResponse__Output>,
  ): grpc.ClientUnaryCall;
}

export interface InferenceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Runs one job: a model made from the picture, or with GenerateRequest.mesh that mesh painted
   * from the picture (texturing). The stream carries progress and previews, then either the model
   * (ModelChunk events in order, then Done) or one Error. Cancelling the call cancels the job.
   * Requires the shared secret when the sidecar has one: metadata "authorization: Bearer
   * <KILN_INFERENCE_TOKEN>"; a missing or wrong one ends the call with UNAUTHENTICATED.
   */
  Generate: grpc.handleServerStreamingCall<
    _kiln3d_inference_v1_GenerateRequest__Output,
    _kiln3d_inference_v1_GenerateEvent
  >;

  /**
   * Cheap; never waits for a running job. Open without the secret (container health checks):
   * it names no task and carries no user data. `auth` says whether the caller's secret matched.
   */
  Health: grpc.handleUnaryCall<
    _kiln3d_inference_v1_HealthRequest__Output,
    _kiln3d_inference_v1_HealthResponse
  >;
}

export interface InferenceDefinition extends grpc.ServiceDefinition {
  Generate: MethodDefinition<
    _kiln3d_inference_v1_GenerateRequest,
    _kiln3d_inference_v1_GenerateEvent,
    _kiln3d_inference_v1_GenerateRequest__Output,
    _kiln3d_inference_v1_GenerateEvent__Output
  >;
  Health: MethodDefinition<
    _kiln3d_inference_v1_HealthRequest,
    _kiln3d_inference_v1_HealthResponse,
    _kiln3d_inference_v1_HealthRequest__Output,
    _kiln3d_inference_v1_HealthResponse__Output
  >;
}
