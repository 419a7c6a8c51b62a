import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { limitKey } from '../../common/client-address';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { InferenceRepository } from '../../inference/inference.repository';
import { StorageService } from '../../storage/storage.service';
import { absoluteUrl } from '../../common/public-url';
import { type NewTask, TaskLifecycle } from '../lifecycle/task-lifecycle.service';
import { TaskEventsService } from '../events/task-events.service';
import { type TaskState, toTaskView } from '../state/task-snapshot';
import { TaskStore } from '../state/task-store.service';
import { type GenerationOptions, parseGenerationOptions } from '../options/generation-options';
import { QualityPresetsService } from '../options/quality-presets.service';
import { RepeatRegistry } from '../repeats/repeat-registry';
import { DecodeGate } from './decode-gate';
import { type IntakeMesh, MeshIntake } from './mesh-intake';
import { parseTextureOptions } from '../options/texture-options';
import {
  type DecodedImage,
  type ImageHeader,
  decodeImage,
  encodePng,
  inspectImage,
} from './image-normaliser';
import { forLog } from '../../common/logging/log-text';
import { errorMessage } from '../../common/error-message';

/** 202's body: the task is queued (or shares an unfinished task's job). */
export interface TaskAccepted {
  success: true;
  task_id: string;
  /**
   * The task's token: the one proof of being its maker, asked for (X-Task-Token) by every request
   * that changes the task. Handed out here only; keep it.
   */
  task_token: string;
  /** The task's SSE stream, absolute against the request's origin. */
  status_url: string;
  /**
   * The web app's page that shows the task being made, then its model, to whoever opens it (read
   * only: the token stays with its maker); absolute like status_url (PUBLIC_BASE_URL when set).
   */
  watch_url: string;
  /** Place among waiting tasks (1 = runs next); 0 when it is already running. */
  queue_position: number;
}

/** 200's body (?wait=true): the model is ready. */
export interface TaskDone {
  success: true;
  model_url: string;
  /** The model's share page, absolute (as a completed snapshot's share_url). */
  share_url: string;
  /** Seconds from the start of processing to the model being served. */
  generation_time: number;
  task_id: string;
}

/**
 * Called with a new task's id as soon as it exists (before a 202 or a ?wait=true wait): how the
 * intake's caller attaches what the task domain does not know (webhooks: generate/ registers
 * the task's targets). A throw is the request's error.
 */
export type OnTaskMade = (taskId: string) => Promise<void>;

/** What POST /api/generate answers: 202 with the task at once, or 200 with the model (?wait=true). */
export type GenerateOutcome = { httpStatus: 202; body: TaskAccepted } | { httpStatus: 200; body: TaskDone };

/**
 * One upload becomes one queued task (docs/design.md, HTTP contract, "Order of checks"): the
 * options (400), the image header (400 unsupported, 422 too small: no pixel is decoded), then the
 * queue's verdict without taking a slot (503 full, 429 this client's share, both + Retry-After:
 * refused before any decoding unless this very upload repeats a kept model), then the pixels are
 * decoded once under the decode budget (503 decode_busy) and judged (400 undecodable, 422 blank),
 * then a queue slot is taken (the same 503/429 if it went meanwhile) before the engine's PNG is
 * encoded from those pixels; a failed enqueue gives its slot back. Then the task is stored and
 * enqueued.
 */
@Injectable()
export class TaskIntakeService {
  private readonly logger = new Logger('Upload');

  constructor(
    private readonly lifecycle: TaskLifecycle,
    private readonly events: TaskEventsService,
    private readonly tasks: TaskStore,
    private readonly repeats: RepeatRegistry,
    private readonly presets: QualityPresetsService,
    private readonly storage: StorageService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gate: DecodeGate,
    private readonly meshes: MeshIntake,
    // Absent in an api-only process (KILN_ROLE=api): a repeat's key then names the configured engine.
    @Optional() private readonly inference?: InferenceRepository,
  ) {}

  /**
   * Admits, normalises and enqueues the uploaded picture. With wait, holds on until the task
   * ends and answers the model, or throws the task's error (its http_status and message).
   * baseUrl: the origin the client's URLs are made absolute against; client: the client's
   * address (common/client-address), for the request log line.
   * fields: the multipart text fields (the generation options, generation-options.ts).
   * onTask: called with the task's id once it exists, whichever way it was made (OnTaskMade).
   * Throws ApiError: 400 (no file, unsupported image, a bad option naming its field), 422 (too
   * small, nothing to model, a quality preset that does not fit the job limit here unless the
   * request repeats a kept model), 503 (queue full, or decode_busy: the decode budget did not free
   * within DECODE_WAIT_S; admissions_paused: an operator paused admissions, and engine_unavailable: every live worker's sidecar failed, both before any decoding), 429 (the client holds its share of unfinished tasks:
   * ACTIVE_TASKS_PER_CLIENT, half the capacity when unset), 507 insufficient_storage (the model
   * folder's disk under MIN_FREE_DISK_MB, before any decoding); with wait also 409, 422, 500, 504 as
   * the task ended.
   */
  async submit(
    file: Express.Multer.File | undefined,
    fields: unknown,
    wait: boolean,
    baseUrl: string,
    client: string,
    onTask?: OnTaskMade,
  ): Promise<GenerateOutcome> {
    if (!file) throw new ApiError('missing_image');
    // Options first: a bad field costs no decoding and no queue slot.
    const options = parseGenerationOptions(fields);
    const unavailable = await this.presets.refusal(options.quality);
    const header = await this.inspectHeader(file, client);
    const engine = await this.engineName();
    // A hash of the whole upload (some 20 ms for 10 MB): only where repeats are on.
    const uploadKey = this.config.instantRepeats
      ? RepeatRegistry.uploadKeyOf(file.buffer, engine, options)
      : '';
    // An operator's pause (or a disk under MIN_FREE_DISK_MB) refuses every upload before its pixels
    // are decoded, instant repeats too (docs/design.md: a paused service takes no new task of any kind).
    await this.lifecycle.refuseIfClosed();
    // A full queue or a used-up share is known before the pixels are decoded: refused then at no
    // decode cost (issue 19), unless the very same upload repeats a model still kept.
    if (!unavailable) {
      try {
        await this.lifecycle.precheck(limitKey(client));
      } catch (refusal) {
        if (!isSlotRefusal(refusal) || !(await this.mayRepeat(uploadKey))) throw refusal;
      }
    }
    const image = await this.decode(file, header, client);
    // A repeat needs neither the GPU nor a slot: a preset no longer offered, a full queue or a
    // used-up share refuses a job, not a repeat.
    const repeatOrThrow = (refusal: unknown): Promise<GenerateOutcome> =>
      this.answerRepeatOrThrow(
        refusal,
        file,
        image,
        client,
        engine,
        uploadKey,
        options,
        wait,
        baseUrl,
        onTask,
      );
    if (unavailable) return repeatOrThrow(unavailable);
    let made: NewTask;
    let admitted: string;
    try {
      admitted = await this.lifecycle.admit(limitKey(client));
    } catch (refusal) {
      if (!isSlotRefusal(refusal)) throw refusal;
      return repeatOrThrow(refusal);
    }
    try {
      const png = await this.normalise(admitted, file, image, client);
      made = await this.repeatOrEnqueue(admitted, png, engine, uploadKey, options);
    } catch (error) {
      // Whatever failed after the slot was taken (a refused picture, Redis), the slot goes back.
      await this.lifecycle.release(admitted).catch(() => undefined);
      throw error;
    }
    return this.answer(made, wait, baseUrl, onTask);
  }

  /**
   * POST /api/texture: admits the mesh and the picture, and enqueues a texturing task (kind
   * `texture`) in the one queue, with the same order, capacity, shares and task flow as a
   * generation (docs/design.md, Texturing). Order of the checks: the files' presence (400
   * missing_mesh, missing_image), the options (400), the picture's header (400, 422), the operator's
   * pause, every worker's engine failed (503 engine_unavailable), the model folder's disk under
   * MIN_FREE_DISK_MB (507 insufficient_storage) and the queue's verdict without a slot (503, 429), the picture's pixels (503
   * decode_busy, 400, 422 no_object), the mesh (MeshIntake: 503 meshes_busy; 400 unsupported_mesh;
   * 422 mesh_no_faces, mesh_not_finite, mesh_too_many_faces, mesh_compressed), then a slot (503,
   * 429) before the picture's PNG is encoded; a failure after that gives the slot back. Nothing is
   * kept of a refused upload. Texturing has no instant repeats (each job is its own). With wait,
   * as submit().
   */
  async submitTexture(
    files: { mesh: Express.Multer.File | undefined; image: Express.Multer.File | undefined },
    fields: unknown,
    wait: boolean,
    baseUrl: string,
    client: string,
    onTask?: OnTaskMade,
  ): Promise<GenerateOutcome> {
    const { mesh: meshFile, image: imageFile } = files;
    if (!meshFile) throw new ApiError('missing_mesh');
    if (!imageFile) throw new ApiError('missing_image');
    const options = parseTextureOptions(fields);
    const header = await this.inspectHeader(imageFile, client);
    await this.lifecycle.refuseIfClosed();
    await this.lifecycle.precheck(limitKey(client));
    // The picture first: its decode is cheaper than a mesh intake process.
    const image = await this.decode(imageFile, header, client);
    const mesh = await this.readMesh(meshFile, client);
    const admitted = await this.lifecycle.admit(limitKey(client));
    let made: NewTask;
    try {
      const png = await this.normalise(admitted, imageFile, image, client);
      const extent = mesh.bboxMax.map((max, axis) => max - mesh.bboxMin[axis]) as [number, number, number];
      made = await this.lifecycle.create(admitted, png, { ...options }, [], mesh.glb, {
        units: options.units,
        extent,
      });
    } catch (error) {
      await this.lifecycle.release(admitted).catch(() => undefined);
      throw error;
    }
    this.logger.log(
      `task=${made.state.record.task_id} mesh format=${mesh.format} bytes=${meshFile.size} ` +
        `triangles=${mesh.triangles} vertices=${mesh.vertices}`,
    );
    return this.answer(made, wait, baseUrl, onTask);
  }

  /** The uploaded mesh through the intake (MeshIntake); a refusal is logged with the client. */
  private async readMesh(file: Express.Multer.File, client: string): Promise<IntakeMesh> {
    try {
      return await this.meshes.read(file.buffer);
    } catch (error) {
      const detail =
        error instanceof Error && error.cause !== undefined ? `: ${forLog(errorMessage(error.cause))}` : '';
      this.logger.log(
        `mesh received bytes=${file.size} client=${client}: refused (${errorMessage(error)}${detail})`,
      );
      throw error;
    }
  }

  /**
   * Whether a kept model or an unfinished job may answer this very upload (its upload key names a
   * task or a job): worth a decode while full.
   */
  private async mayRepeat(uploadKey: string): Promise<boolean> {
    if (!this.config.instantRepeats) return false;
    return (
      (await this.repeats.holderOf(uploadKey)) !== null || (await this.repeats.liveJobOf(uploadKey)) !== null
    );
  }

  /**
   * 202 with the task's URLs and token, or with wait the finished model (waitForModel); onTask is
   * called first.
   */
  private async answer(
    { state, token }: NewTask,
    wait: boolean,
    baseUrl: string,
    onTask: OnTaskMade | undefined,
  ): Promise<GenerateOutcome> {
    const taskId = state.record.task_id;
    await onTask?.(taskId);
    if (!wait) {
      return {
        httpStatus: 202,
        body: {
          success: true,
          task_id: taskId,
          task_token: token,
          status_url: absoluteUrl(baseUrl, `/api/status/${taskId}`),
          watch_url: absoluteUrl(baseUrl, `/t/${taskId}`),
          queue_position: state.record.position ?? 0,
        },
      };
    }
    return { httpStatus: 200, body: await this.waitForModel(taskId, baseUrl) };
  }

  /**
   * Instant repeats (RepeatRegistry): the same picture, engine and options as a model still kept
   * answer with a new task of the requester's own (its own id and token) that is completed at once
   * and names the same files (their retention restarts); its slot goes back and no job is added.
   * A repeat of a job still unfinished gets a new task of its own that follows that job
   * (followLive): the job's figures, events and model, its own id, token and cancel; never the
   * first maker's task (issue 19: no takeover, no leak) and never a second job on the GPU.
   * Otherwise the task is enqueued.
   */
  private async repeatOrEnqueue(
    taskId: string,
    png: Buffer,
    engine: string,
    uploadKey: string,
    options: GenerationOptions,
  ): Promise<NewTask> {
    if (!this.config.instantRepeats) return this.lifecycle.create(taskId, png, options);
    const key = RepeatRegistry.keyOf(png, engine, options);
    // Its keys name its job while it is unfinished and its task once it completes (RepeatRegistry).
    return (
      (await this.repeatOf(taskId, key, uploadKey)) ??
      this.lifecycle.create(taskId, png, options, [key, uploadKey])
    );
  }

  /**
   * Task `taskId` as a repeat, when one of the request's keys (its picture key `key`, its upload
   * key) names a model still kept (answerFromHolder: completed at once) or an unfinished job
   * (followLive: following it); undefined when neither does.
   */
  private async repeatOf(taskId: string, key: string, uploadKey: string): Promise<NewTask | undefined> {
    const holderId = await this.repeats.holderOf(key);
    const holder = holderId === null ? undefined : await this.tasks.get(holderId);
    return (
      (holder ? await this.answerFromHolder(taskId, key, holder) : undefined) ??
      (await this.followLive(taskId, [key, uploadKey]))
    );
  }

  /**
   * A repeat of an unfinished job (a request key names it: RepeatRegistry.liveJobOf) becomes task
   * `taskId` of the requester's own following that job (TaskLifecycle.follow: its own id and token,
   * the job's figures, events and model; no job, no slot); undefined when no key names a job still
   * unfinished.
   */
  private async followLive(taskId: string, keys: readonly string[]): Promise<NewTask | undefined> {
    for (const key of keys) {
      const jobId = key === '' ? null : await this.repeats.liveJobOf(key);
      const followed = jobId === null ? undefined : await this.lifecycle.follow(taskId, jobId);
      if (followed) {
        this.logger.log(`task=${taskId} follows an unfinished job with the same request (no job of its own)`);
        return followed;
      }
    }
    return undefined;
  }

  /**
   * A request refused a job (422 a preset no longer offered, 503 full, 429 the client's share):
   * a repeat of a model still kept is answered all the same (it needs no GPU and no slot);
   * otherwise the refusal is thrown. Costs one PNG encoding of the pixels decoded before
   * admission (no second decoding), which the upload rate limit bounds.
   */
  private async answerRepeatOrThrow(
    refusal: unknown,
    file: Express.Multer.File,
    image: DecodedImage,
    client: string,
    engine: string,
    uploadKey: string,
    options: GenerationOptions,
    wait: boolean,
    baseUrl: string,
    onTask: OnTaskMade | undefined,
  ): Promise<GenerateOutcome> {
    if (!this.config.instantRepeats) throw refusal;
    const taskId = randomUUID();
    let png: Buffer;
    try {
      png = await this.normalise(taskId, file, image, client);
    } catch {
      throw refusal;
    }
    const repeat = await this.repeatOf(taskId, RepeatRegistry.keyOf(png, engine, options), uploadKey);
    if (!repeat) throw refusal;
    return this.answer(repeat, wait, baseUrl, onTask);
  }

  /** The engine the sidecar runs (else the configured one): part of a request's repeat keys. */
  private async engineName(): Promise<string> {
    return (await this.inference?.health())?.engine || this.config.inferenceEngine;
  }

  /**
   * A repeat's answer from its key's holder: a new completed task `taskId` of the requester's own,
   * naming the holder's files while they are kept (the key then names it; its slot goes back);
   * undefined otherwise (an unfinished holder included).
   */
  private async answerFromHolder(
    taskId: string,
    key: string,
    holder: TaskState,
  ): Promise<NewTask | undefined> {
    const reused = await this.reuse(taskId, holder);
    if (reused) await this.repeats.hold(key, taskId);
    return reused;
  }

  /**
   * A completed holder whose files are still kept becomes a new completed task; undefined
   * otherwise. A holder stored before model ids is not reused: its files are named by its maker's
   * task id, which a reuse would hand to the requester (such tasks expire within 48 h of the
   * upgrade; until then a repeat of one runs a job of its own).
   */
  private async reuse(taskId: string, holder: TaskState): Promise<NewTask | undefined> {
    const from = holder.record;
    if (
      from.status !== 'completed' ||
      from.model_id === undefined ||
      from.model_path === undefined ||
      from.download_path === undefined
    ) {
      return undefined;
    }
    const kept = [
      from.model_path,
      from.download_path,
      ...(from.lod_path !== undefined ? [from.lod_path] : []),
    ];
    if (!(await this.storage.keepModels(kept))) return undefined;
    const now = new Date(this.clock.now()).toISOString();
    const made = await this.lifecycle.reuse({
      task_id: taskId,
      status: 'completed',
      created_at: now,
      updated_at: now,
      started_at: now,
      finished_at: now,
      progress: 100,
      stage: 'export',
      // The files' own id, never the first maker's task id (issue 19).
      model_id: from.model_id,
      model_path: from.model_path,
      download_path: from.download_path,
      ...(from.lod_path !== undefined ? { lod_path: from.lod_path } : {}),
      generation_time: 0,
      ...(from.engine !== undefined ? { engine: from.engine } : {}),
      ...(from.triangles !== undefined ? { triangles: from.triangles } : {}),
      ...(from.options !== undefined ? { options: from.options } : {}),
      ...(from.ignored_options !== undefined ? { ignored_options: from.ignored_options } : {}),
      reused: true,
      reused_from: from.reused_from ?? from.task_id,
    });
    this.logger.log(
      `task=${taskId} answered at once: a repeat of ${from.task_id} (model kept, retention restarted)`,
    );
    return made;
  }

  /** The upload's header (image-normaliser's inspectImage: no pixel decoding); a refusal is logged. */
  private async inspectHeader(file: Express.Multer.File, client: string): Promise<ImageHeader> {
    try {
      return await inspectImage(file.buffer);
    } catch (error) {
      this.logger.log(
        `request received bytes=${file.size} client=${client}: refused (${errorMessage(error)})`,
      );
      throw error;
    }
  }

  /**
   * The pixels decoded once, under the decode budget (DecodeGate: 503 decode_busy after
   * DECODE_WAIT_S), and judged blank or not (image-normaliser's rules), before any queue slot is
   * taken. Later steps use the decoded pixels, never the bytes.
   */
  private async decode(
    file: Express.Multer.File,
    header: ImageHeader,
    client: string,
  ): Promise<DecodedImage> {
    try {
      return await this.gate.run((header.width * header.height) / 1e6, () =>
        decodeImage(file.buffer, header),
      );
    } catch (error) {
      this.logger.log(
        `request received bytes=${file.size} client=${client}: refused (${errorMessage(error)})`,
      );
      throw error;
    }
  }

  /** The engine's PNG, encoded from the pixels inspect decoded (image-normaliser's encodePng). */
  private async normalise(
    taskId: string,
    file: Express.Multer.File,
    decoded: DecodedImage,
    client: string,
  ): Promise<Buffer> {
    try {
      const image = await encodePng(decoded);
      this.logger.log(
        `request received task=${taskId} bytes=${file.size} format=${image.format} ` +
          `${image.inputWidth}x${image.inputHeight} -> ${image.width}x${image.height} client=${client}`,
      );
      return image.png;
    } catch (error) {
      this.logger.log(
        `request received task=${taskId} bytes=${file.size} format=${decoded.header.format} client=${client}: ` +
          `refused (${errorMessage(error)})`,
      );
      throw error;
    }
  }

  private async waitForModel(taskId: string, baseUrl: string): Promise<TaskDone> {
    const final = await this.events.waitForTerminal(taskId);
    if (!final) throw new ApiError('internal_error');
    const record = final.record;
    // The snapshot's own URLs: a share_url is there only for a completed task with its model.
    const view = toTaskView(record, baseUrl);
    if (view.model_url !== undefined && view.share_url !== undefined) {
      return {
        success: true,
        model_url: view.model_url,
        share_url: view.share_url,
        generation_time: record.generation_time ?? 0,
        task_id: taskId,
      };
    }
    // The task's failure as it was stored: its row of the error table (a failure is never templated).
    throw new ApiError(record.error_code ?? 'internal_error');
  }
}

/** 503 (queue full) or 429 (the client's share): refusals of a job, which a repeat may still answer. */
function isSlotRefusal(refusal: unknown): boolean {
  return (
    refusal instanceof ApiError &&
    (refusal.code === 'server_busy' || refusal.code === 'too_many_active_tasks')
  );
}
