import { Global, Module } from '@nestjs/common';

/**
 * Placeholder written by the lead: the inference engineer replaces it with the real module
 * (gRPC client + supervisor) that provides and exports InferenceRepository.
 */
@Global()
@Module({})
export class InferenceModule {}
