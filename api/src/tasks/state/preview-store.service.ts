import { Injectable } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { previewBytesPerAxis, type InferencePreview } from '../../inference/inference.repository';
import { RedisKeys } from '../../redis/redis-keys';
import { RedisService } from '../../redis/redis.service';
import type { TaskPreviewRecord } from './task-snapshot';
import { TASK_TTL_S, TaskStore } from './task-store.service';

/** A stored preview: what the snapshot says of it, and its coordinate bytes. */
export interface StoredPreview {
  record: TaskPreviewRecord;
  coords: Buffer;
}

/**
 * A job's latest voxel preview in Redis (`kiln:preview:{id}`, id: the job's, its first task's id; a hash: coords, stage,
 * resolution, count, rev), kept as long as an unfinished task (TASK_TTL_S); the transition that
 * completes the task gives it the task's own, shorter with RETENTION_HOURS (task-store.lua.ts). Each save replaces the voxels and
 * bumps `rev` in one MULTI, so a reader always gets coordinates and figures of the same preview.
 */
@Injectable()
export class PreviewStore {
  constructor(
    private readonly redis: RedisService,
    private readonly tasks: TaskStore,
  ) {}

  /** Stores the preview as the task's latest; resolves with its record (rev 1, 2, ...). */
  async save(taskId: string, preview: InferencePreview): Promise<TaskPreviewRecord> {
    const key = RedisKeys.preview(taskId);
    const results = await this.redis.client
      .multi()
      .hincrby(key, 'rev', 1)
      .hset(
        key,
        'coords',
        preview.coords,
        'stage',
        preview.stage,
        'resolution',
        preview.resolution,
        'count',
        preview.count,
      )
      .expire(key, TASK_TTL_S)
      .exec();
    const [error, rev] = results?.[0] ?? [new Error('preview not stored'), null];
    if (error) throw error;
    return toRecord(Number(rev), preview.stage, preview.resolution, preview.count, preview.coords.length);
  }

  /** The task's latest preview, or undefined when it has none (none sent yet, or expired). */
  async get(taskId: string): Promise<StoredPreview | undefined> {
    const fields = await this.redis.client.hgetallBuffer(RedisKeys.preview(taskId));
    const coords = fields.coords;
    if (coords === undefined || fields.rev === undefined) return undefined;
    const text = (name: string): string => fields[name]?.toString('utf8') ?? '';
    const record = toRecord(
      Number(text('rev')),
      text('stage'),
      Number(text('resolution')),
      Number(text('count')),
      coords.length,
    );
    return { record, coords };
  }

  /**
   * GET /api/tasks/{id}/preview: the latest preview of the task's job (TaskStore.jobOf); ApiError 404 "Task not found" for an
   * unknown task, 404 "No preview yet" for a task with none.
   */
  async require(taskId: string): Promise<StoredPreview> {
    await this.tasks.require(taskId);
    // A task following a shared job shows the job's preview (kept under the job's id).
    const preview = await this.get(await this.tasks.jobOf(taskId));
    if (!preview) throw new ApiError('preview_not_found');
    return preview;
  }
}

function toRecord(
  rev: number,
  stage: string,
  resolution: number,
  count: number,
  bytes: number,
): TaskPreviewRecord {
  return {
    rev,
    stage,
    resolution,
    count,
    encoding: previewBytesPerAxis(resolution) === 1 ? 'xyz8' : 'xyz16le',
    bytes,
  };
}
