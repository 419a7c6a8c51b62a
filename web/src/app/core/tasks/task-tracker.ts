import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Observable, Subject } from 'rxjs';

import { ApiClient } from '../api/api-client';
import type { ApiError, GenerationChoice, TaskKind, TextureChoice } from '../api/api-types';
import { ServerConfigStore } from '../api/server-config-store';
import { EVENT_SOURCE_FACTORY } from '../events/event-source-factory';
import { TaskEventStream } from '../events/task-event-stream';
import { IDLE_TASK, TaskAction, TaskResult, TaskState, isTerminal, reduceTask } from '../events/task-state';
import { CurrentTaskMemory } from './current-task-memory';

/** The server no longer knows the task (unknown or expired id): decided by its code. */
function taskGone(error: ApiError): boolean {
  return error.code === 'task_not_found';
}

/** Waits between manual reconnects after the browser gave up on the stream. */
const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10000];
/**
 * The page's own timeout fires this long after the server's job limit, so that the server's
 * 504 (the real verdict, sent as a failed event) normally arrives first.
 */
const WATCHDOG_GRACE_S = 5;
/**
 * With no event for this long, ask GET /api/tasks/{id} as well. Some proxies buffer event
 * streams (Cloudflare quick tunnels deliver nothing), and heartbeats are invisible to scripts.
 */
const POLL_AFTER_SILENCE_MS = 10_000;

/**
 * What was sent for the current task, kept so that "try again" can send it once more: the
 * picture (POST /api/generate), or the mesh with the picture that paints it (POST /api/texture).
 */
type SentJob =
  | { kind: 'generate'; blob: Blob; name: string; options: GenerationChoice }
  | { kind: 'texture'; blob: Blob; name: string; mesh: Blob; meshName: string; options: TextureChoice };

/** A checked mesh and picture for POST /api/texture, with the names they are sent under. */
export interface TextureJob {
  mesh: Blob;
  meshName: string;
  picture: Blob;
  pictureName: string;
}

/** A seed for "new variation": 1 to 2147483647, from the browser's random source. */
export function randomSeed(): number {
  const value = crypto.getRandomValues(new Uint32Array(1))[0] ?? 1;
  return (value % 2_147_483_647) + 1;
}

/** A task that has just reached `completed`, announced once by TaskTracker.completed. */
export interface CompletedTask {
  taskId: string;
  result: TaskResult;
  /** The picture this page sent; undefined for a task resumed after a reload. */
  picture: Blob | undefined;
}

/**
 * Follows one task (a generation, or a mesh being painted): sends the picture (and mesh), listens to its events (GET /api/status/{id}), asks
 * GET /api/tasks/{id} when the stream is silent or gave up, runs the page's own timeout watchdog,
 * cancels on request and resumes after a reload. Its state is one signal, changed only through
 * reduceTask, which alone merges the two sources (stream and polling) and keeps progress monotonic.
 */
@Injectable({ providedIn: 'root' })
export class TaskTracker {
  private readonly api = inject(ApiClient);
  private readonly config = inject(ServerConfigStore);
  private readonly createEventSource = inject(EVENT_SOURCE_FACTORY);
  private readonly memory = inject(CurrentTaskMemory);
  /** The followed task's token when this page made it (also kept by CurrentTaskMemory for a reload). */
  private token: string | undefined;
  private readonly stateSignal = signal<TaskState>(IDLE_TASK);
  /** Page clock, ticking once a second while a task is live (elapsed time, watchdog). */
  private readonly clock = signal(Date.now());
  private stream: TaskEventStream | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectAttempt = 0;
  private lastHeardAt = 0;
  private polling = false;
  /** The one owner of what was sent for the task; the completion event hands its picture on. */
  private readonly job = signal<SentJob | undefined>(undefined);
  private readonly completions = new Subject<CompletedTask>();

  /** The followed task as the page sees it. */
  readonly state = this.stateSignal.asReadonly();
  /** Page clock (ms), ticking once a second while a task is live. */
  readonly now = this.clock.asReadonly();
  /** Whole seconds since processing began (0 before), counted from the server's start time. */
  readonly elapsedS = computed(() => {
    const since = this.stateSignal().processingSince;
    return since === undefined ? 0 : Math.max(0, Math.floor((this.clock() - since) / 1000));
  });
  /** Whether "try again" can send the same picture: the task ended and this page sent it. */
  readonly canRetry = computed(() => this.job() !== undefined && isTerminal(this.stateSignal().phase));
  /** What the task this page sent makes ('generate' for a task resumed after a reload). */
  readonly kind = computed<TaskKind>(() => this.job()?.kind ?? 'generate');
  /** Emits once per task, on its transition to `completed` (from an event, a poll or a refresh). */
  readonly completed: Observable<CompletedTask> = this.completions.asObservable();

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.stop();
      this.completions.complete();
    });
  }

  /** Sends a checked picture and follows the task it becomes. */
  start(picture: Blob, name: string, options: GenerationChoice = {}): Promise<void> {
    return this.send({ kind: 'generate', blob: picture, name, options });
  }

  /** Sends a checked mesh and picture (POST /api/texture) and follows the task they become. */
  startTexture(job: TextureJob, options: TextureChoice = {}): Promise<void> {
    return this.send({
      kind: 'texture',
      blob: job.picture,
      name: job.pictureName,
      mesh: job.mesh,
      meshName: job.meshName,
      options,
    });
  }

  private async send(job: SentJob): Promise<void> {
    this.stop();
    this.token = undefined;
    this.job.set(job);
    this.dispatch({ type: 'upload-started' });
    const onProgress = (fraction: number): void => this.dispatch({ type: 'upload-progress', fraction });
    const outcome =
      job.kind === 'texture'
        ? await this.api.texture(
            { mesh: job.mesh, meshName: job.meshName, image: job.blob, imageName: job.name },
            onProgress,
            job.options,
          )
        : await this.api.generate(job.blob, job.name, onProgress, job.options);
    if (this.stateSignal().phase !== 'uploading') return; // Reset while sending.
    if (!outcome.ok) {
      this.dispatch({ type: 'rejected', error: outcome.error });
      return;
    }
    this.dispatch({
      type: 'accepted',
      taskId: outcome.value.task_id,
      position: outcome.value.queue_position,
    });
    this.token = outcome.value.task_token;
    this.memory.remember(outcome.value.task_id, outcome.value.task_token);
    this.follow(outcome.value.task_id);
  }

  /** Picks up the task this tab was following before a reload, if any. */
  resume(): boolean {
    const taskId = this.memory.recall();
    if (!taskId || this.stateSignal().phase !== 'idle') return false;
    this.dispatch({ type: 'resume', taskId });
    this.follow(taskId);
    return true;
  }

  /** Sends the same picture (and mesh) again (after busy, timeout, or a failure worth retrying). */
  async retry(): Promise<void> {
    const job = this.job();
    if (job) await this.send(job);
  }

  /** Sends the same files with the same options and a new seed: another take on the model. */
  async variation(): Promise<void> {
    const job = this.job();
    if (job) await this.send({ ...job, options: { ...job.options, seed: randomSeed() } });
  }

  /** After the page's own timeout: asks the server where the task really stands. */
  async refresh(): Promise<void> {
    const taskId = this.stateSignal().taskId;
    if (!taskId) return;
    // The watchdog's verdict was the page's guess: the server's answer replaces it.
    if ((await this.askServer(taskId, { replaceGuess: true })) === 'live') this.follow(taskId);
  }

  /** DELETE /api/tasks/{id}; a task the server no longer knows counts as cancelled too. */
  async cancel(): Promise<void> {
    const { taskId, phase } = this.stateSignal();
    if (!taskId || isTerminal(phase)) return;
    const outcome = await this.api.cancelTask(taskId, this.token ?? this.memory.recallToken());
    if (outcome.ok || taskGone(outcome.error)) {
      this.dispatch({ type: 'cancelled' });
    }
  }

  /** Stops following and forgets what was sent: back to idle. */
  reset(): void {
    this.stop();
    this.job.set(undefined);
    this.dispatch({ type: 'reset' });
  }

  private follow(taskId: string): void {
    this.closeStream();
    this.reconnectAttempt = 0;
    const stream = new TaskEventStream(
      `/api/status/${encodeURIComponent(taskId)}`,
      {
        snapshot: (snapshot) => {
          this.reconnectAttempt = 0;
          this.lastHeardAt = Date.now();
          this.dispatch({ type: 'snapshot', snapshot, now: Date.now() });
        },
        lost: () => this.dispatch({ type: 'stream-lost' }),
        closed: () => void this.onStreamClosed(taskId),
      },
      this.createEventSource,
    );
    this.stream = stream;
    this.lastHeardAt = Date.now();
    stream.open();
    this.startTicker();
  }

  /** The browser stopped reconnecting: ask the server directly, then reconnect with a back-off. */
  private async onStreamClosed(taskId: string): Promise<void> {
    this.dispatch({ type: 'stream-lost' });
    if ((await this.askServer(taskId)) !== 'live') return;
    const delay =
      RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)] ?? 10000;
    this.reconnectAttempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (this.stream && this.stateSignal().taskId === taskId && !isTerminal(this.stateSignal().phase)) {
        this.stream.reopen();
      }
    }, delay);
  }

  /**
   * The one place the page asks GET /api/tasks/{id} (after a silence, a stream that gave up, the
   * page's own timeout) and folds the answer in through reduceTask. `replaceGuess`: reduce from a
   * fresh state, since the watchdog's timed-out state is terminal and the reducer would keep it.
   * Resolves `live` while the task goes on (or the server did not answer), `ended` when it is
   * terminal or unknown to the server, `other` when the page follows another task by now.
   */
  private async askServer(
    taskId: string,
    { replaceGuess = false } = {},
  ): Promise<'live' | 'ended' | 'other'> {
    this.lastHeardAt = Date.now();
    const outcome = await this.api.getTask(taskId);
    if (this.stateSignal().taskId !== taskId) return 'other';
    const base = replaceGuess ? reduceTask(IDLE_TASK, { type: 'resume', taskId }) : this.stateSignal();
    if (outcome.ok) {
      this.transition(reduceTask(base, { type: 'snapshot', snapshot: outcome.value, now: Date.now() }));
    } else if (taskGone(outcome.error)) {
      this.transition(reduceTask(base, { type: 'not-found' }));
    } else if (replaceGuess) {
      return 'ended'; // No answer: the page's own verdict stands.
    }
    return isTerminal(this.stateSignal().phase) ? 'ended' : 'live';
  }

  /** After a silence: one question at a time, whatever the stream does meanwhile. */
  private async poll(): Promise<void> {
    const taskId = this.stateSignal().taskId;
    if (this.polling || !taskId || isTerminal(this.stateSignal().phase)) return;
    this.polling = true;
    try {
      await this.askServer(taskId);
    } finally {
      this.polling = false;
    }
  }

  private dispatch(action: TaskAction): void {
    this.transition(reduceTask(this.stateSignal(), action));
  }

  /** The one place the state changes: a terminal phase ends the following, a completion is announced. */
  private transition(after: TaskState): void {
    const before = this.stateSignal();
    if (after === before) return;
    this.stateSignal.set(after);
    if (isTerminal(after.phase)) this.afterTerminal();
    if (after.phase === 'completed' && before.phase !== 'completed' && after.taskId && after.result) {
      this.completions.next({ taskId: after.taskId, result: after.result, picture: this.job()?.blob });
    }
  }

  private afterTerminal(): void {
    this.closeStream();
    this.stopTicker();
    this.token = undefined;
    this.memory.forget();
  }

  private startTicker(): void {
    this.stopTicker();
    this.clock.set(Date.now());
    this.ticker = setInterval(() => {
      const now = Date.now();
      this.clock.set(now);
      this.dispatch({ type: 'tick', now, timeoutS: this.config.value().job_timeout_s + WATCHDOG_GRACE_S });
      if (now - this.lastHeardAt >= POLL_AFTER_SILENCE_MS) void this.poll();
    }, 1000);
  }

  private stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private closeStream(): void {
    clearTimeout(this.reconnectTimer);
    this.stream?.close();
    this.stream = undefined;
  }

  private stop(): void {
    this.closeStream();
    this.stopTicker();
  }
}
