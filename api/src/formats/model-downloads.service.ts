import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../common/api-error';
import { clientAddress, limitKey } from '../common/client-address';
import { absoluteUrl } from '../common/public-url';
import {
  DEFAULT_SIZE_MM,
  MODEL_FORMAT_INFO,
  MODEL_FORMATS,
  type ModelFormat,
  SIZE_MM_MAX,
  SIZE_MM_MIN,
  downloadFileName,
  isModelFormat,
  modelDownloadPath,
  variantKey,
} from '../storage/model-formats';
import { ModelDeliveryService } from '../storage/model-delivery.service';
import { UUID_V4, sourceModelName } from '../storage/model-names';
import { ModelStore } from '../storage/model-store';
import { modelIdOf } from '../tasks/state/task-snapshot';
import { TaskStore } from '../tasks/state/task-store.service';
import { FormatBuildsService } from './format-builds.service';
import type { FormatListDto, FormatPendingDto, FormatStateDto } from './formats.dto';

/** A download request's format and, for a printing format, its size (parseDownloadQuery). */
export interface DownloadRequest {
  format: ModelFormat;
  /** Millimetres: set for stl and 3mf (DEFAULT_SIZE_MM when not asked), undefined for the others. */
  sizeMm: number | undefined;
}

const FORMAT_RULE = `one of ${MODEL_FORMATS.join(', ')}`;
const SIZE_RULE = `a whole number of millimetres from ${SIZE_MM_MIN} to ${SIZE_MM_MAX}, for stl and 3mf only`;

/**
 * The query of a download (`format`, default glb; `size_mm`, stl and 3mf only, default
 * DEFAULT_SIZE_MM). Throws ApiError invalid_option naming the field, e.g. "Invalid format: one of
 * glb, obj, stl, 3mf, ply, usdz" (a repeated parameter is invalid too).
 */
export function parseDownloadQuery(format: unknown, sizeMm: unknown): DownloadRequest {
  const name = format === undefined ? 'glb' : format;
  if (typeof name !== 'string' || !isModelFormat(name)) {
    throw new ApiError('invalid_option', { params: { field: 'format', rule: FORMAT_RULE } });
  }
  const printing = MODEL_FORMAT_INFO[name].printing;
  if (sizeMm === undefined) return { format: name, sizeMm: printing ? DEFAULT_SIZE_MM : undefined };
  const size = typeof sizeMm === 'string' && /^\d{1,4}$/.test(sizeMm) ? Number(sizeMm) : Number.NaN;
  if (!printing || !(size >= SIZE_MM_MIN && size <= SIZE_MM_MAX)) {
    throw new ApiError('invalid_option', { params: { field: 'size_mm', rule: SIZE_RULE } });
  }
  return { format: name, sizeMm: size };
}

/**
 * A completed model in every format (docs/design.md, Formats): GET /api/tasks/{id}/download,
 * GET /api/models/{modelId}/download (the share page knows the model only) and the list of
 * formats with what is known of each. The GLB is the engine's own file; the others come from
 * FormatBuildsService, made once on first request.
 */
@Injectable()
export class ModelDownloadsService {
  private readonly logger = new Logger(ModelDownloadsService.name);

  constructor(
    private readonly tasks: TaskStore,
    private readonly store: ModelStore,
    private readonly builds: FormatBuildsService,
    private readonly delivery: ModelDeliveryService,
  ) {}

  /**
   * A task's model in one format. Throws task_not_found, task_not_completed (409 naming its
   * status), not_found (its model expired), invalid_option, format_failed, formats_busy,
   * too_many_requests (the client's share of builds: FormatBuildsService.clientShare).
   */
  async downloadForTask(
    taskId: string,
    request: DownloadRequest,
    req: Request,
    res: Response,
  ): Promise<void> {
    const { record } = await this.tasks.require(taskId);
    if (record.status !== 'completed') {
      throw new ApiError('task_not_completed', { params: { status: record.status } });
    }
    const watertight = await this.download(modelIdOf(record), request, req, res);
    // The task's snapshot says it once known (issue 23: "the X- header and the task snapshot").
    if (watertight !== undefined && record.watertight === undefined) {
      await this.tasks.noteWatertight(taskId, watertight).catch((error: unknown) => {
        this.logger.warn(`could not note watertight on task ${taskId}: ${(error as Error).message}`);
      });
    }
  }

  /** A model by its id (a share link's); throws not_found for an unknown or expired model. */
  async downloadForModel(
    modelId: string,
    request: DownloadRequest,
    req: Request,
    res: Response,
  ): Promise<void> {
    if (!UUID_V4.test(modelId)) throw new ApiError('not_found');
    await this.download(modelId, request, req, res);
  }

  /** What is known of each format of a model (GET /api/models/{modelId}/formats). */
  async list(modelId: string, baseUrl: string): Promise<FormatListDto> {
    const source = UUID_V4.test(modelId) ? await this.store.stat(sourceModelName(modelId)) : undefined;
    if (!source) throw new ApiError('not_found');
    const records = await this.builds.records(modelId);
    let watertight: boolean | undefined;
    const formats: FormatStateDto[] = [];
    for (const format of MODEL_FORMATS) {
      const info = MODEL_FORMAT_INFO[format];
      const sizeMm = info.printing ? DEFAULT_SIZE_MM : undefined;
      const entry: FormatStateDto = {
        format,
        media_type: info.mediaType,
        description: info.description,
        url: absoluteUrl(baseUrl, modelDownloadPath(modelId, format)),
        state: 'not_made',
      };
      if (sizeMm !== undefined) entry.size_mm = sizeMm;
      if (format === 'glb') {
        entry.state = 'ready';
        entry.bytes = source.size;
      } else {
        const record = records.get(variantKey({ format, sizeMm }));
        if (record?.state === 'ready') {
          entry.state = 'ready';
          entry.bytes = record.file.bytes;
        } else if (await this.builds.isBuilding(modelId, { format, sizeMm })) {
          entry.state = 'building';
        } else if (record?.state === 'failed') {
          entry.state = 'failed';
        }
      }
      formats.push(entry);
    }
    for (const record of records.values()) if (record.state === 'ready') watertight = record.file.watertight;
    return watertight === undefined ? { formats } : { formats, watertight };
  }

  /** Answers the file (200/206/304), or 202 while it is made; resolves the model's watertightness when known. */
  private async download(
    modelId: string,
    request: DownloadRequest,
    req: Request,
    res: Response,
  ): Promise<boolean | undefined> {
    const { format, sizeMm } = request;
    const info = MODEL_FORMAT_INFO[format];
    const fileName = downloadFileName(modelId, format, sizeMm);
    if (format === 'glb') {
      await this.delivery.send(sourceModelName(modelId), req, res, { contentType: info.mediaType, fileName });
      return undefined;
    }
    if (!(await this.store.stat(sourceModelName(modelId)))) throw new ApiError('not_found');
    const outcome = await this.builds.obtain(modelId, { format, sizeMm }, limitKey(clientAddress(req)));
    if (outcome.kind === 'building') {
      const body: FormatPendingDto = { status: 'building', format, retry_after_s: outcome.retryAfterS };
      if (sizeMm !== undefined) body.size_mm = sizeMm;
      res.status(202).setHeader('Retry-After', String(outcome.retryAfterS));
      res.setHeader('Cache-Control', 'no-store');
      res.json(body);
      return undefined;
    }
    const headers: Record<string, string> = {};
    if (info.printing) headers['X-Mesh-Watertight'] = String(outcome.file.watertight);
    await this.delivery.send(
      outcome.name,
      req,
      res,
      { contentType: info.mediaType, fileName, headers },
      outcome.info,
    );
    return outcome.file.watertight;
  }
}
