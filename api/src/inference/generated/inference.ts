import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  Done as _kiln3d_inference_v1_Done,
  Done__Output as _kiln3d_inference_v1_Done__Output,
} from './kiln3d/inference/v1/Done';
import type {
  Error as _kiln3d_inference_v1_Error,
  Error__Output as _kiln3d_inference_v1_Error__Output,
} from './kiln3d/inference/v1/Error';
import type {
  GenerateEvent as _kiln3d_inference_v1_GenerateEvent,
  GenerateEvent__Output as _kiln3d_inference_v1_GenerateEvent__Output,
} from './kiln3d/inference/v1/GenerateEvent';
import type {
  GenerateRequest as _kiln3d_inference_v1_GenerateRequest,
  GenerateRequest__Output as _kiln3d_inference_v1_GenerateRequest__Output,
} from './kiln3d/inference/v1/GenerateRequest';
import type {
  HealthRequest as _kiln3d_inference_v1_HealthRequest,
  HealthRequest__Output as _kiln3d_inference_v1_HealthRequest__Output,
} from './kiln3d/inference/v1/HealthRequest';
import type {
  HealthResponse as _kiln3d_inference_v1_HealthResponse,
  HealthResponse__Output as _kiln3d_inference_v1_HealthResponse__Output,
} from './kiln3d/inference/v1/HealthResponse';
import type {
  InferenceClient as _kiln3d_inference_v1_InferenceClient,
  InferenceDefinition as _kiln3d_inference_v1_InferenceDefinition,
} from './kiln3d/inference/v1/Inference';
import type {
  ModelChunk as _kiln3d_inference_v1_ModelChunk,
  ModelChunk__Output as _kiln3d_inference_v1_ModelChunk__Output,
} from './kiln3d/inference/v1/ModelChunk';
import type {
  Preview as _kiln3d_inference_v1_Preview,
  Preview__Output as _kiln3d_inference_v1_Preview__Output,
} from './kiln3d/inference/v1/Preview';
import type {
  Progress as _kiln3d_inference_v1_Progress,
  Progress__Output as _kiln3d_inference_v1_Progress__Output,
} from './kiln3d/inference/v1/Progress';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  kiln3d: {
    inference: {
      v1: {
        AuthState: EnumTypeDefinition;
        Done: MessageTypeDefinition<_kiln3d_inference_v1_Done, _kiln3d_inference_v1_Done__Output>;
        Error: MessageTypeDefinition<_kiln3d_inference_v1_Error, _kiln3d_inference_v1_Error__Output>;
        ErrorCode: EnumTypeDefinition;
        GenerateEvent: MessageTypeDefinition<
          _kiln3d_inference_v1_GenerateEvent,
          _kiln3d_inference_v1_GenerateEvent__Output
        >;
        GenerateRequest: MessageTypeDefinition<
          _kiln3d_inference_v1_GenerateRequest,
          _kiln3d_inference_v1_GenerateRequest__Output
        >;
        HealthRequest: MessageTypeDefinition<
          _kiln3d_inference_v1_HealthRequest,
          _kiln3d_inference_v1_HealthRequest__Output
        >;
        HealthResponse: MessageTypeDefinition<
          _kiln3d_inference_v1_HealthResponse,
          _kiln3d_inference_v1_HealthResponse__Output
        >;
        Inference: SubtypeConstructor<typeof grpc.Client, _kiln3d_inference_v1_InferenceClient> & {
          service: _kiln3d_inference_v1_InferenceDefinition;
        };
        ModelChunk: MessageTypeDefinition<
          _kiln3d_inference_v1_ModelChunk,
          _kiln3d_inference_v1_ModelChunk__Output
        >;
        Preview: MessageTypeDefinition<_kiln3d_inference_v1_Preview, _kiln3d_inference_v1_Preview__Output>;
        Progress: MessageTypeDefinition<_kiln3d_inference_v1_Progress, _kiln3d_inference_v1_Progress__Output>;
        ServingState: EnumTypeDefinition;
        Stage: EnumTypeDefinition;
      };
    };
  };
}
