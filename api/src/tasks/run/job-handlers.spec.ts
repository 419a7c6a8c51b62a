import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Process } from '@nestjs/bull';
import { GenerationProcessor } from './generation.processor';
import { assertOneHandlerPerJob, handledJobNames } from './job-handlers';
import { JobName } from '../queue/job-names';

void describe('job handlers', () => {
  void it('the real processor handles every job name exactly once', () => {
    assert.deepEqual(handledJobNames(GenerationProcessor), [JobName.Generate]);
    assert.doesNotThrow(() => assertOneHandlerPerJob(GenerationProcessor));
  });

  void it('refuses a missing, doubled or unknown handler', () => {
    class Nothing {}
    class Twice {
      @Process(JobName.Generate)
      a(): void {}
      @Process(JobName.Generate)
      b(): void {}
    }
    class Unknown {
      @Process(JobName.Generate)
      a(): void {}
      @Process('resize')
      b(): void {}
    }
    assert.throws(() => assertOneHandlerPerJob(Nothing), /job "generate" has 0 handlers/);
    assert.throws(() => assertOneHandlerPerJob(Twice), /job "generate" has 2 handlers/);
    assert.throws(() => assertOneHandlerPerJob(Unknown), /handler for unknown job "resize"/);
  });
});
