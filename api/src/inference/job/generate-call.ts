import { status as GrpcStatus } from '@grpc/grpc-js';
import { Clock } from '../../common/clock';
import type { GenerateEvent__Output } from '../generated/kiln3d/inference/v1/GenerateEvent';
import type { Stage__Output } from '../generated/kiln3d/inference/v1/Stage';
import type { Preview__Output } from '../generated/kiln3d/inference/v1/Preview';
import {
  InferenceError,
  InferenceJob,
  InferencePreview,
  InferenceProgress,
  InferenceResult,
  InferenceStage,
  previewBytesPerAxis,
} from '../inference.repository';
import type { SidecarLease, SidecarLogger } from '../sidecar/sidecar';
import { GenerateCallHandle, StreamFailure } from '../client/sidecar-transport';
import { ModelReceiver } from './model-receiver';

/** The proto's stages as the port's; STAGE_UNSPECIFIED keeps the stage already reached. */
const STAGES: Record<Exclude<Stage__Output, 'STAGE_UNSPECIFIED'>, InferenceStage> = {
  STAGE_PREPROCESS: 'preprocess',
  STAGE_STRUCTURE: 'structure',
  STAGE_GEOMETRY: 'geometry',
  STAGE_TEXTURE: 'texture',
  STAGE_EXPORT: 'export',
};

/** A Preview event as the port's, or null when it is malformed (its bytes do not match its count). */
export function toInferencePreview(preview: Preview__Output): InferencePreview | null {
  const { stage, resolution, count, coords } = preview;
  if (stage === 'STAGE_UNSPECIFIED' || resolution < 1 || resolution > 65_535 || count < 1) return null;
  if (coords.length !== count * 3 * previewBytesPerAxis(resolution)) return null;
  return { stage: STAGES[stage], resolution, count, coords: Buffer.from(coords) };
}

/** How long a dropped stream waits for the sidecar's exit to explain it. */
const EXIT_REPORT_GRACE_MS = 1_000;

/** Maps a gRPC status that ended a Generate stream to the port's error. */
export function streamFailureError(failure: StreamFailure): InferenceError {
  const name = GrpcStatus[failure.code] ?? String(failure.code);
  if (failure.code === GrpcStatus.DEADLINE_EXCEEDED) {
    return new InferenceError('TIMEOUT', `Generation timeout (gRPC ${name}: ${failure.details})`);
  }
  if (failure.code === GrpcStatus.UNKNOWN || failure.code === GrpcStatus.INTERNAL) {
    // The sidecar's handler raised instead of sending an Error event.
    return new InferenceError('INTERNAL', `Inference sidecar failed (gRPC ${name}: ${failure.details})`);
  }
  return new InferenceError('UNAVAILABLE', `Inference sidecar unavailable during the job (gRPC ${name}: ${failure.details})`);
}

/**
 * One Generate rpc for one job, on a leased sidecar: sends the request, passes progress on as the
 * sidecar sends it (the sidecar owns its range and order, proto Progress.percent), receives the
 * model into job.modelPath (ModelReceiver: verified against Done's length and SHA-256), and settles
 * once, with the first of: Done, an Error event, a stream failure, the stream ending without a
 * result, the sidecar process exiting, the job's deadline, or the abort signal. The last two
 * cancel the rpc and are the call's interruption. Single use.
 */
export class GenerateCall {
  private used = false;
  private settled = false;
  private interruptedBecause: string | null = null;
  private stage: InferenceStage = 'preprocess';
  private rpc: GenerateCallHandle | null = null;
  private readonly cleanups: (() => void)[] = [];
  private settle: (outcome: InferenceResult | InferenceError) => void = () => undefined;

  constructor(
    private readonly lease: SidecarLease,
    private readonly clock: Clock,
    private readonly logger: Pick<SidecarLogger, 'error'>,
  ) {}

  /** Why the api ended the job itself (its limit passed, or it was cancelled); null otherwise. */
  get interruption(): string | null {
    return this.interruptedBecause;
  }

  /**
   * Runs the job. Resolves with Done's result; rejects with InferenceError: the sidecar's code,
   * TIMEOUT at deadlineAt (clock ms), CANCELLED on abort, UNAVAILABLE or INTERNAL when the
   * stream or the process fails. A throwing onProgress or onPreview is logged, never fatal; a
   * malformed preview is logged and dropped.
   */
  run(
    job: InferenceJob,
    deadlineAt: number,
    onProgress: (progress: InferenceProgress) => void,
    signal?: AbortSignal,
    onPreview?: (preview: InferencePreview) => void,
  ): Promise<InferenceResult> {
    if (this.used) throw new Error('A GenerateCall runs once');
    this.used = true;
    return new Promise<InferenceResult>((resolve, reject) => {
      this.settle = (outcome) => {
        if (this.settled) return;
        this.settled = true;
        for (const cleanup of this.cleanups) cleanup();
        if (outcome instanceof InferenceError) reject(outcome);
        else resolve(outcome);
      };
      const receiver = new ModelReceiver(job.modelPath);
      // Whatever ends the call before a whole, verified model leaves no file (finish() kept it otherwise).
      this.cleanups.push(() => receiver.abort());
      this.watch(job, deadlineAt, signal);
      if (this.settled) return;
      this.rpc = this.lease.transport.generate(
        {
          taskId: job.taskId,
          image: job.image,
          seed: job.seed,
          timeoutS: Math.ceil(job.timeoutS),
          pipelineType: job.pipelineType ?? '',
          textureSize: job.textureSize ?? 0,
          faces: job.faces ?? 0,
          mesh: job.mesh ?? Buffer.alloc(0),
          textureResolution: job.textureResolution ?? 0,
        },
        {
          onEvent: (event) => this.onEvent(event, receiver, onProgress, onPreview),
          onFailure: (failure) => this.onFailure(failure),
          onEnd: () =>
            this.settle(new InferenceError('UNAVAILABLE', 'Inference sidecar closed the stream without a result')),
        },
      );
    });
  }

  /** Arms the deadline, the abort signal and the process's exit; each is undone on settling. */
  private watch(job: InferenceJob, deadlineAt: number, signal: AbortSignal | undefined): void {
    const deadline = this.clock.setTimer(
      () =>
        this.interrupt(
          `job ${job.taskId} passed its ${job.timeoutS} s limit`,
          new InferenceError('TIMEOUT', `Generation timeout (over ${job.timeoutS} s)`),
        ),
      Math.max(0, deadlineAt - this.clock.now()),
    );
    this.cleanups.push(() => deadline.cancel());
    if (this.lease.watchExit !== null) {
      const unwatch = this.lease.watchExit((description, byOperator) =>
        this.settle(
          byOperator
            ? new InferenceError('RESTARTED', `Inference sidecar restarted by an operator during the job (${description})`)
            : new InferenceError('UNAVAILABLE', `Inference sidecar ${description} during the job`),
        ),
      );
      this.cleanups.push(unwatch);
    }
    if (signal !== undefined) {
      const onAbort = (): void =>
        this.interrupt(`job ${job.taskId} was cancelled`, new InferenceError('CANCELLED', 'Job cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.cleanups.push(() => signal.removeEventListener('abort', onAbort));
      if (signal.aborted) onAbort();
    }
  }

  private interrupt(reason: string, error: InferenceError): void {
    if (this.settled) return;
    this.interruptedBecause = reason;
    this.settle(error);
    this.rpc?.cancel();
  }

  private onEvent(
    event: GenerateEvent__Output,
    receiver: ModelReceiver,
    onProgress: (progress: InferenceProgress) => void,
    onPreview: ((preview: InferencePreview) => void) | undefined,
  ): void {
    if (this.settled) return;
    if (event.modelChunk) {
      try {
        receiver.write(event.modelChunk.offset, event.modelChunk.data);
      } catch (error) {
        this.failReceiving(error);
      }
      return;
    }
    if (event.preview) {
      const preview = toInferencePreview(event.preview);
      if (preview === null) {
        this.logger.error('malformed preview from the sidecar dropped');
        return;
      }
      try {
        onPreview?.(preview);
      } catch (error) {
        this.logger.error(`preview listener failed: ${String(error)}`);
      }
      return;
    }
    if (event.progress) {
      const { stage, percent, message } = event.progress;
      if (stage !== 'STAGE_UNSPECIFIED') this.stage = STAGES[stage];
      try {
        onProgress({ stage: this.stage, percent, message });
      } catch (error) {
        this.logger.error(`progress listener failed: ${String(error)}`);
      }
    } else if (event.done) {
      const { triangles, bytes, seconds, engine, seed, ignored, sha256 } = event.done;
      try {
        receiver.finish(bytes, Buffer.from(sha256));
      } catch (error) {
        this.failReceiving(error);
        return;
      }
      this.settle({ triangles, bytes, seconds, engine, seed: Number(seed), ignored: [...ignored] });
    } else if (event.error) {
      const code = event.error.code === 'ERROR_CODE_UNSPECIFIED' ? 'INTERNAL' : event.error.code;
      this.settle(new InferenceError(code, event.error.message || `Inference failed (${code})`));
    }
  }

  /**
   * The model could not be received (a damaged stream, a full disk): the job fails INTERNAL and the
   * rpc is cancelled, so the sidecar stops sending. Not an interruption: the sidecar's job is over.
   */
  private failReceiving(error: unknown): void {
    const failure =
      error instanceof InferenceError
        ? error
        : new InferenceError('INTERNAL', `The model could not be received: ${String(error)}`);
    this.logger.error(failure.message);
    this.settle(failure);
    this.rpc?.cancel();
  }

  private onFailure(failure: StreamFailure): void {
    if (this.settled) return;
    const error = streamFailureError(failure);
    if (failure.code !== GrpcStatus.UNAVAILABLE || this.lease.watchExit === null) {
      this.settle(error);
      return;
    }
    // A dropped connection usually means the process died: its exit, which says how, follows
    // within milliseconds and makes the clearer message.
    const grace = this.clock.setTimer(() => this.settle(error), EXIT_REPORT_GRACE_MS);
    this.cleanups.push(() => grace.cancel());
  }
}
