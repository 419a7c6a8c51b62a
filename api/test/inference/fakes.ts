/** Fakes for the inference unit specs: a hand-driven clock, sidecar processes and a transport. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock, TimerHandle } from '../../src/common/clock';
import { InferenceError, type InferenceErrorCode } from '../../src/inference/inference.repository';
import type { Done__Output } from '../../src/inference/generated/kiln3d/inference/v1/Done';
import type { GenerateEvent__Output } from '../../src/inference/generated/kiln3d/inference/v1/GenerateEvent';
import type { GenerateRequest } from '../../src/inference/generated/kiln3d/inference/v1/GenerateRequest';
import type { HealthResponse__Output } from '../../src/inference/generated/kiln3d/inference/v1/HealthResponse';
import type { ServingState__Output } from '../../src/inference/generated/kiln3d/inference/v1/ServingState';
import { SidecarExit, SidecarLauncher, SidecarProcess, SidecarSpawnSpec } from '../../src/inference/sidecar/sidecar-process';
import { ManagedSidecar } from '../../src/inference/sidecar/managed-sidecar';
import { DEFAULT_SIDECAR_OPTIONS, type SidecarLogger, type SidecarOptions } from '../../src/inference/sidecar/sidecar';
import {
  GenerateCallHandle,
  GenerateStreamHandlers,
  SidecarTransport,
  SidecarTransportFactory,
} from '../../src/inference/client/sidecar-transport';

/** Lets every pending promise callback run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface FakeTimer {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

export class FakeClock extends Clock {
  private time = 1_000_000;
  private seq = 0;
  private timers: FakeTimer[] = [];

  override now(): number {
    return this.time;
  }

  override setTimer(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = end;
    await flush();
  }
}

/** One fake sidecar process, with the serving state its Health rpc reports. */
export class FakeSidecar implements SidecarProcess {
  readonly signals: string[] = [];
  state: ServingState__Output = 'LOADING';
  engine = 'simulate';
  message = '';
  answersHealth = true;
  /** false: SIGTERM is ignored (only SIGKILL ends it). */
  obeysSigterm = true;
  readonly calls: FakeCall[] = [];
  readonly exited: Promise<SidecarExit>;
  private resolveExit!: (exit: SidecarExit) => void;
  private ended = false;

  constructor(
    readonly pid: number,
    readonly spec: SidecarSpawnSpec,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get alive(): boolean {
    return !this.ended;
  }

  exit(exit: SidecarExit): void {
    if (this.ended) return;
    this.ended = true;
    for (const call of this.calls) call.drop();
    this.resolveExit(exit);
  }

  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || this.obeysSigterm) this.exit({ code: null, signal });
  }

  health(): HealthResponse__Output {
    return {
      state: this.state,
      engine: this.engine,
      device: 'cpu',
      vramUsedBytes: 0,
      vramTotalBytes: 0,
      jobsDone: 0,
      texturing: '',
      unusedGenerationOptions: [],
      unusedTextureOptions: [],
      message: this.message,
      pid: this.pid,
      version: 'test',
      auth: 'AUTH_OK',
    };
  }
}

export class FakeLauncher extends SidecarLauncher {
  readonly sidecars: FakeSidecar[] = [];
  private nextPid = 5000;
  /** State a new sidecar reports at once; set LOADING to hold new ones there. */
  initialState: ServingState__Output = 'READY';

  launch(spec: SidecarSpawnSpec): Promise<SidecarProcess> {
    const sidecar = new FakeSidecar(this.nextPid++, spec);
    sidecar.state = this.initialState;
    this.sidecars.push(sidecar);
    return Promise.resolve(sidecar);
  }

  get current(): FakeSidecar {
    const sidecar = this.sidecars.at(-1);
    if (sidecar === undefined) throw new Error('no sidecar launched');
    return sidecar;
  }
}

/**
 * The tail of a Generate stream that delivers `model`, as the sidecar sends it (proto ModelChunk,
 * Done): chunks of at most `chunkBytes` in order, then Done with the model's length and SHA-256.
 */
export function modelEvents(
  model: Buffer,
  done: Omit<Done__Output, 'bytes' | 'sha256'>,
  chunkBytes = 1024 * 1024,
): GenerateEvent__Output[] {
  const events: GenerateEvent__Output[] = [];
  for (let offset = 0; offset < model.length; offset += chunkBytes) {
    events.push({ event: 'modelChunk', modelChunk: { offset, data: model.subarray(offset, offset + chunkBytes) } });
  }
  const sha256 = createHash('sha256').update(model).digest();
  events.push({ event: 'done', done: { ...done, bytes: model.length, sha256 } });
  return events;
}

/** A fresh private folder for the models a test's jobs receive (InferenceJob.modelPath). */
export function modelDir(): string {
  return mkdtempSync(join(tmpdir(), 'kiln3d-models-'));
}

export class FakeCall implements GenerateCallHandle {
  cancelled = false;
  private open = true;

  constructor(
    readonly request: GenerateRequest,
    private readonly handlers: GenerateStreamHandlers,
  ) {}

  cancel(): void {
    this.cancelled = true;
    if (this.open) {
      this.open = false;
      this.handlers.onFailure({ code: 1, details: 'Cancelled on client' });
    }
  }

  emit(event: GenerateEvent__Output): void {
    if (this.open) this.handlers.onEvent(event);
  }

  /** Sends the model's chunks and Done (modelEvents). */
  deliver(model: Buffer, done: Omit<Done__Output, 'bytes' | 'sha256'>, chunkBytes?: number): void {
    for (const event of modelEvents(model, done, chunkBytes)) this.emit(event);
  }

  end(): void {
    if (!this.open) return;
    this.open = false;
    this.handlers.onEnd();
  }

  fail(code: number, details: string): void {
    if (!this.open) return;
    this.open = false;
    this.handlers.onFailure({ code, details });
  }

  /** The connection dropped (the process died). */
  drop(): void {
    this.fail(14, 'Connection dropped');
  }
}

/** Speaks to whichever fake sidecar was launched last (as a unix socket path would). */
export class FakeTransportFactory extends SidecarTransportFactory {
  readonly addresses: string[] = [];
  closed = 0;

  constructor(private readonly target: () => FakeSidecar | undefined) {
    super();
  }

  connect(address: string): SidecarTransport {
    this.addresses.push(address);
    const sidecar = this.target();
    const onClose = (): void => {
      this.closed += 1;
    };
    return new (class extends SidecarTransport {
      health(): Promise<HealthResponse__Output> {
        if (sidecar === undefined || !sidecar.alive || !sidecar.answersHealth) {
          return Promise.reject(new Error('14 UNAVAILABLE: No connection established'));
        }
        return Promise.resolve(sidecar.health());
      }
      generate(request: GenerateRequest, handlers: GenerateStreamHandlers): GenerateCallHandle {
        const call = new FakeCall(request, handlers);
        if (sidecar === undefined || !sidecar.alive) {
          queueMicrotask(() => call.drop());
        } else {
          sidecar.calls.push(call);
        }
        return call;
      }
      close(): void {
        onClose();
      }
    })();
  }
}

export class MemoryLogger implements SidecarLogger {
  readonly lines: string[] = [];
  debug(message: string): void {
    this.lines.push(`debug ${message}`);
  }
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
  matching(pattern: RegExp): string[] {
    return this.lines.filter((line) => pattern.test(line));
  }
}

/**
 * A ManagedSidecar built on fakes only: a fake launcher, transports and clock, and loggers that
 * remember. Nothing is spawned until `sidecar.start()`.
 */
export function fakeManagedSidecar(options: Partial<SidecarOptions> = {}) {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  const factory = new FakeTransportFactory(() => launcher.sidecars.at(-1));
  const logger = new MemoryLogger();
  const sidecarLogger = new MemoryLogger();
  const sidecar = new ManagedSidecar({
    spec: {
      launcher,
      address: 'unix:///tmp/kiln3d-test/inference.sock',
      command: '/venv/bin/python',
      args: ['-m', 'kiln3d_inference'],
      cwd: '/',
      env: () => ({ KILN_ENGINE: 'simulate' }),
    },
    transports: factory,
    clock,
    logger,
    sidecarLogger,
    options: { ...DEFAULT_SIDECAR_OPTIONS, ...options },
  });
  return { clock, launcher, factory, logger, sidecarLogger, sidecar };
}

/** An assert.rejects predicate: the error is an InferenceError with this code (and message pattern). */
export function isInferenceError(code: InferenceErrorCode, pattern?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof InferenceError, String(error));
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}
