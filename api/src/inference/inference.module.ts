import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { GrpcInferenceRepository } from './grpc-inference.repository';
import { InferenceAdminController } from './inference-admin.controller';
import { findProtoFile } from './inference-proto';
import { InferenceRepository } from './inference.repository';
import { ExecaSidecarLauncher, SidecarLauncher } from './sidecar-process';
import { GrpcSidecarTransportFactory, SidecarTransportFactory } from './sidecar-transport';

/**
 * The inference sidecar as a repository: gRPC client + execa supervisor behind InferenceRepository,
 * and the ops restart route. Process, transport and clock are providers so tests can swap them.
 */
@Global()
@Module({
  controllers: [InferenceAdminController],
  providers: [
    Clock,
    { provide: SidecarLauncher, useClass: ExecaSidecarLauncher },
    {
      provide: SidecarTransportFactory,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new GrpcSidecarTransportFactory(findProtoFile(config.inferenceDir)),
    },
    { provide: InferenceRepository, useClass: GrpcInferenceRepository },
  ],
  exports: [InferenceRepository],
})
export class InferenceModule {}
