import { Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { AccessModule } from '../access/access.module';
import { AdminTokenGuard } from '../access/admin-token.guard';
import { InferenceAdminController } from './admin/inference-admin.controller';
import { InferenceAdminService } from './admin/inference-admin.service';
import { findProtoFile } from './client/inference-proto';
import { GrpcSidecarTransportFactory, SidecarTransportFactory } from './client/sidecar-transport';
import { GrpcInferenceRepository } from './grpc-inference.repository';
import { InferenceRepository } from './inference.repository';
import { ManagedSidecar } from './sidecar/managed-sidecar';
import { RemoteSidecar } from './sidecar/remote-sidecar';
import { DEFAULT_SIDECAR_OPTIONS, SIDECAR_OPTIONS, Sidecar, SidecarOptions } from './sidecar/sidecar';
import { managedSidecarSpec } from './sidecar/sidecar-launch';
import { ExecaSidecarLauncher, SidecarLauncher } from './sidecar/sidecar-process';

/** The one place that chooses: INFERENCE_URL names a remote sidecar; without it, this api runs one. */
function createSidecar(
  config: AppConfig,
  launcher: SidecarLauncher,
  transports: SidecarTransportFactory,
  clock: Clock,
  overrides: Partial<SidecarOptions> | undefined,
): Sidecar {
  const options: SidecarOptions = {
    ...DEFAULT_SIDECAR_OPTIONS,
    readyTimeoutMs: config.inferenceReadyTimeoutS * 1000,
    ...overrides,
  };
  const logger = new Logger('InferenceSupervisor');
  if (config.inferenceUrl !== undefined) {
    return new RemoteSidecar({ address: config.inferenceUrl, transports, clock, logger, options });
  }
  return new ManagedSidecar({
    spec: managedSidecarSpec(config, launcher),
    transports,
    clock,
    logger,
    sidecarLogger: new Logger('inference'),
    options,
  });
}

/**
 * The inference sidecar as a repository: a Sidecar (managed or remote) and gRPC Generate calls
 * behind InferenceRepository, and the ops restart route. Process, transport, clock and timings
 * are providers so tests can swap them.
 */
@Global()
@Module({
  // AccessService: the Access email of who asked for a restart (AdminTokenGuard).
  imports: [AccessModule],
  controllers: [InferenceAdminController],
  providers: [
    Clock,
    { provide: SidecarLauncher, useClass: ExecaSidecarLauncher },
    {
      provide: SidecarTransportFactory,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new GrpcSidecarTransportFactory(findProtoFile(config.inferenceDir), config.inferenceToken),
    },
    {
      provide: Sidecar,
      inject: [APP_CONFIG, SidecarLauncher, SidecarTransportFactory, Clock, { token: SIDECAR_OPTIONS, optional: true }],
      useFactory: createSidecar,
    },
    { provide: InferenceRepository, useClass: GrpcInferenceRepository },
    InferenceAdminService,
    AdminTokenGuard,
  ],
  // InferenceAdminService: a worker's restart asked through Redis goes through it too (ops/worker-restart).
  exports: [InferenceRepository, InferenceAdminService],
})
export class InferenceModule {}
