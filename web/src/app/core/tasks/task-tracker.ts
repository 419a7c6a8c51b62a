import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Observable, Subject } from 'rxjs';

import { ApiClient } from '../api/api-client';
import { pageLink } from '../api/model-url';
import type { GenerationChoice, TaskKind, TextureChoice } from '../api/api-types';
import { ServerConfigStore } from '../api/server-config-store';
import { EVENT_SOURCE_FACTORY } from '../events/event-source-factory';
import { IDLE_TASK, TaskAction, TaskResult, TaskState, isTerminal, reduceTask } from '../events/task-state';
import { CurrentTaskMemory, FollowedTaskDetails } from './current-task-memory';
import { SharedTaskFeed } from './shared-task-feed';
import { TASK_CHANNEL_FACTORY, TASK_LOCKS } from './task-channel';
import { TaskConnection, finalRefusal } from './task-connection';

/**
 * The page's own timeout fires this long after the server's job limit, so that the server's
 * 504 (the real verdict, sent as a failed event) normally arrives first.
 */
const WATCHDOG_GRACE_S = 5;

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
  /** The picture's file name, also after a reload (CurrentTaskMemory); undefined when unknown. */
  pictureName: string | undefined;
  /** What the task made: a model from the picture, or the person's mesh painted from it. */
  kind: TaskKind;
  /** A painted mesh's file name, when this page sent it. */
  meshName: string | undefined;
}

/** A task this page sent that the server accepted: its id, kind, and the files' names. */
export interface SentTask {
  taskId: string;
  pictureName: string;
  kind: TaskKind;
  /** The mesh's file name of a texturing task. */
  meshName?: string;
}

/**
 * Follows one task (a generation, or a mesh being painted): sends the picture (and mesh), hears
 * about its task through a SharedTaskFeed (one event stream per task across this browser's tabs;
 * the leading tab's TaskConnection falls back to polling GET /api/tasks/{id}), runs the page's
 * own timeout watchdog, cancels on request and resumes after a reload. Its state is one signal,
 * changed only through reduceTask, which alone merges the two sources (stream and polling) and
 * keeps progress monotonic.
 */
@Injectable({ providedIn: 'root' })
export class TaskTracker {
  private readonly api = inject(ApiClient);
  private readonly config = inject(ServerConfigStore);
  private readonly createEventSource = inject(EVENT_SOURCE_FACTORY);
  private readonly openChannel = inject(TASK_CHANNEL_FACTORY);
  private readonly locks = inject(TASK_LOCKS);
  private readonly memory = inject(CurrentTaskMemory);
  /** Aborts the upload in flight (cancel() while uploading). */
  private upload: AbortController | undefined;
  /** The followed task's token when this page made it (also kept by CurrentTaskMemory for a reload). */
  private token: string | undefined;
  private readonly stateSignal = signal<TaskState>(IDLE_TASK);
  /** Page clock, ticking once a second while a task is live (elapsed time, watchdog). */
  private readonly clock = signal(Date.now());
  private feed: SharedTaskFeed | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** The one owner of what was sent for the task; the completion event hands its picture on. */
  private readonly job = signal<SentJob | undefined>(undefined);
  /** What was kept about a task picked up after a reload (this page sent nothing for it). */
  private readonly resumed = signal<FollowedTaskDetails | undefined>(undefined);
  private readonly completions = new Subject<CompletedTask>();
  private readonly sends = new Subject<SentTask>();
  /** The server's watch page of the task this page sent (its 202's watch_url). */
  private readonly sentWatchUrl = signal<string | undefined>(undefined);
  /** Following someone's task by its id alone (the watch page): no token, nothing to change. */
  private readonly watching = signal(false);

  /** The followed task as the page sees it. */
  readonly state = this.stateSignal.asReadonly();
  /** Whether this page may change the task (cancel it): not on a watch page, which has no token. */
  readonly canChange = computed(() => !this.watching());
  /**
   * The address to pass on so others watch the task being made (/t/{id}): the server's
   * watch_url for a task this page sent, else on PUBLIC_BASE_URL (GET /api/config) after a
   * reload, else this page's own address.
   */
  readonly watchUrl = computed(() => {
    const taskId = this.stateSignal().taskId;
    if (taskId === undefined) return undefined;
    return this.sentWatchUrl() ?? pageLink(`/t/${taskId}`, this.config.value().public_base_url);
  });
  /** Page clock (ms), ticking once a second while a task is live. */
  readonly now = this.clock.asReadonly();
  /** Whole seconds since processing began (0 before), counted from the server's start time. */
  readonly elapsedS = computed(() => {
    const since = this.stateSignal().processingSince;
    return since === undefined ? 0 : Math.max(0, Math.floor((this.clock() - since) / 1000));
  });
  /** Whether "try again" can send the same picture: the task ended and this page sent it. */
  readonly canRetry = computed(() => this.job() !== undefined && isTerminal(this.stateSignal().phase));
  /** What the followed task makes (kept across a reload by CurrentTaskMemory). */
  readonly kind = computed<TaskKind>(() => this.job()?.kind ?? this.resumed()?.kind ?? 'generate');
  /**
   * The request options this page set for the followed task (names as the API has them:
   * quality, seed…); none after a reload or on a watch page, where nothing was chosen here.
   */
  readonly chosenOptions = computed<readonly string[]>(() =>
    Object.entries(this.job()?.options ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([name]) => name),
  );
  /** The file name of the followed task's picture, also after a reload; undefined when unknown. */
  readonly pictureName = computed(() => this.job()?.name ?? this.resumed()?.pictureName);
  /** The mesh's file name of a texturing task this page sent; undefined otherwise. */
  readonly meshName = computed(() => {
    const job = this.job();
    return job?.kind === 'texture' ? job.meshName : undefined;
  });
  /** Emits once per task, on its transition to `completed` (from an event, a poll or a refresh). */
  readonly completed: Observable<CompletedTask> = this.completions.asObservable();
  /** Emits once per task this page sent, when the server accepted it (its 202). */
  readonly sent: Observable<SentTask> = this.sends.asObservable();

  constructor() {
    // A page put in the back-forward cache gave up its stream (SharedTaskFeed stops on pagehide);
    // restored, it follows its task again.
    const onPageShow = (event: Event): void => {
      const { taskId, phase } = this.stateSignal();
      if ((event as PageTransitionEvent).persisted && taskId && phase !== 'uploading' && !isTerminal(phase)) {
        this.follow(taskId);
      }
    };
    globalThis.addEventListener?.('pageshow', onPageShow);
    inject(DestroyRef).onDestroy(() => {
      globalThis.removeEventListener?.('pageshow', onPageShow);
      this.stop();
      this.completions.complete();
      this.sends.complete();
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
    const upload = new AbortController();
    this.upload = upload;
    this.token = undefined;
    this.sentWatchUrl.set(undefined);
    this.job.set(job);
    this.resumed.set(undefined);
    this.dispatch({ type: 'upload-started' });
    const onProgress = (fraction: number): void => this.dispatch({ type: 'upload-progress', fraction });
    const outcome =
      job.kind === 'texture'
        ? await this.api.texture(
            { mesh: job.mesh, meshName: job.meshName, image: job.blob, imageName: job.name },
            onProgress,
            job.options,
            upload.signal,
          )
        : await this.api.generate(job.blob, job.name, onProgress, job.options, upload.signal);
    // Cancelled, reset or replaced by another upload while sending: this answer is no one's.
    const current = this.upload === upload;
    if (current) this.upload = undefined;
    if (!current || this.stateSignal().phase !== 'uploading') return;
    if (!outcome.ok) {
      this.dispatch({ type: 'rejected', error: outcome.error });
      return;
    }
    this.sentWatchUrl.set(outcome.value.watch_url);
    this.dispatch({
      type: 'accepted',
      taskId: outcome.value.task_id,
      position: outcome.value.queue_position,
    });
    this.token = outcome.value.task_token;
    this.memory.remember(outcome.value.task_id, outcome.value.task_token, {
      kind: job.kind,
      pictureName: job.name,
    });
    this.sends.next({
      taskId: outcome.value.task_id,
      pictureName: job.name,
      kind: job.kind,
      ...(job.kind === 'texture' ? { meshName: job.meshName } : {}),
    });
    this.follow(outcome.value.task_id);
  }

  /** Picks up the task this tab was following before a reload, if any. */
  resume(): boolean {
    const taskId = this.memory.recall();
    if (!taskId || this.stateSignal().phase !== 'idle') return false;
    this.resumed.set(this.memory.recallDetails());
    this.dispatch({ type: 'resume', taskId });
    this.follow(taskId);
    return true;
  }

  /**
   * Follows someone's task by its id (the watch page, /t/{id}): its queue place, progress and
   * preview, then its model. Read only: no token, and nothing of this tab's own task is touched.
   * Call it on a tracker of the page's own (providers), not the app's.
   */
  watch(taskId: string): void {
    this.watching.set(true);
    this.dispatch({ type: 'resume', taskId });
    this.follow(taskId);
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

  /**
   * While the picture is being sent: stops sending it, and the page is back where it was before
   * (no task exists yet). Else DELETE /api/tasks/{id}; a task the server no longer knows counts
   * as cancelled too.
   */
  async cancel(): Promise<void> {
    const { taskId, phase } = this.stateSignal();
    if (phase === 'uploading') {
      this.upload?.abort();
      this.reset();
      return;
    }
    if (!taskId || isTerminal(phase) || this.watching()) return;
    const outcome = await this.api.cancelTask(taskId, this.token ?? this.memory.recallToken());
    if (outcome.ok || outcome.error.code === 'task_not_found') {
      this.dispatch({ type: 'cancelled' });
    }
  }

  /** Stops following and forgets what was sent: back to idle. */
  reset(): void {
    this.stop();
    this.job.set(undefined);
    this.resumed.set(undefined);
    this.dispatch({ type: 'reset' });
  }

  private follow(taskId: string): void {
    this.closeStream();
    const feed = new SharedTaskFeed(
      taskId,
      {
        snapshot: (snapshot) => {
          if (this.feed === feed) this.dispatch({ type: 'snapshot', snapshot, now: Date.now() });
        },
        reconnecting: (reconnecting) => {
          if (this.feed === feed && reconnecting) this.dispatch({ type: 'stream-lost' });
        },
        refused: (error) => {
          if (this.feed === feed) this.dispatch({ type: 'refused', error });
        },
      },
      (handlers) => new TaskConnection(taskId, this.api, this.createEventSource, handlers),
      this.openChannel,
      this.locks,
    );
    this.feed = feed;
    feed.start();
    this.startTicker();
  }

  /**
   * Asks GET /api/tasks/{id} after the page's own timeout (the feed's TaskConnection does its
   * own polling) and folds the answer in through reduceTask. `replaceGuess`: reduce from a
   * fresh state, since the watchdog's timed-out state is terminal and the reducer would keep it.
   * Resolves `live` while the task goes on (or the server did not answer), `ended` when it is
   * terminal or unknown to the server, `other` when the page follows another task by now.
   */
  private async askServer(
    taskId: string,
    { replaceGuess = false } = {},
  ): Promise<'live' | 'ended' | 'other'> {
    const outcome = await this.api.getTask(taskId);
    if (this.stateSignal().taskId !== taskId) return 'other';
    const base = replaceGuess ? reduceTask(IDLE_TASK, { type: 'resume', taskId }) : this.stateSignal();
    if (outcome.ok) {
      this.transition(reduceTask(base, { type: 'snapshot', snapshot: outcome.value, now: Date.now() }));
    } else if (finalRefusal(outcome.error)) {
      this.transition(reduceTask(base, { type: 'refused', error: outcome.error }));
    } else if (replaceGuess) {
      return 'ended'; // No answer: the page's own verdict stands.
    }
    return isTerminal(this.stateSignal().phase) ? 'ended' : 'live';
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
      this.completions.next({
        taskId: after.taskId,
        result: after.result,
        picture: this.job()?.blob,
        pictureName: this.pictureName(),
        kind: this.kind(),
        meshName: this.meshName(),
      });
    }
  }

  private afterTerminal(): void {
    this.closeStream();
    this.stopTicker();
    this.token = undefined;
    // A watched task is someone else's: this tab's own remembered task stays.
    if (!this.watching()) this.memory.forget();
  }

  private startTicker(): void {
    this.stopTicker();
    this.clock.set(Date.now());
    this.ticker = setInterval(() => {
      const now = Date.now();
      this.clock.set(now);
      this.dispatch({ type: 'tick', now, timeoutS: this.config.value().job_timeout_s + WATCHDOG_GRACE_S });
    }, 1000);
  }

  private stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private closeStream(): void {
    this.feed?.stop();
    this.feed = undefined;
  }

  private stop(): void {
    this.closeStream();
    this.stopTicker();
  }
}
