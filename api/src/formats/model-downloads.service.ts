import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../common/api-error';
import { clientAddress, limitKey } from '../common/client-address';
import { absoluteUrl } from '../common/public-url';
import {
  DEFAULT_SIZE_MM,
  type FormatVariant,
  MODEL_FORMAT_INFO,
  MODEL_FORMATS,
  type ModelFormat,
  OWN_SIZE,
  SIZE_MM_MAX,
  SIZE_MM_MIN,
  downloadFileName,
  formatDescription,
  isModelFormat,
  modelDownloadPath,
  variantKey,
} from '../storage/model-formats';
import { type ModelOwnSize, ownSizeMm } from '../storage/model-units';
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
  /**
   * stl and 3mf: the millimetres asked for; undefined when none was asked (the model's own size for
   * a painted model, else DEFAULT_SIZE_MM: ModelDownloadsService) and for the other formats.
   */
  sizeMm: number | undefined;
}

const FORMAT_RULE = `one of ${MODEL_FORMATS.join(', ')}`;
const SIZE_RULE = `a whole number of millimetres from ${SIZE_MM_MIN} to ${SIZE_MM_MAX}, for stl and 3mf only`;

/**
 * The query of a download (`format`, default glb; `size_mm`, stl and 3mf only; without it a painted
 * model's own size, any other model's DEFAULT_SIZE_MM). Throws ApiError invalid_option naming the field, e.g. "Invalid format: one of
 * glb, obj, stl, 3mf, ply, usdz" (a repeated parameter is invalid too).
 */
export function parseDownloadQuery(format: unknown, sizeMm: unknown): DownloadRequest {
  const name = format === undefined ? 'glb' : format;
  if (typeof name !== 'string' || !isModelFormat(name)) {
    throw new ApiError('invalid_option', { params: { field: 'format', rule: FORMAT_RULE } });
  }
  const printing = MODEL_FORMAT_INFO[name].printing;
  if (sizeMm === undefined) return { format: name, sizeMm: undefined };
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

  /**
   * What is known of each format of a model (GET /api/models/{modelId}/formats), each at the size
   * its download has without size_mm: a painted model's own size (`own_size`), else DEFAULT_SIZE_MM.
   */
  async list(modelId: string, baseUrl: string): Promise<FormatListDto> {
    const source = UUID_V4.test(modelId) ? await this.store.stat(sourceModelName(modelId)) : undefined;
    if (!source) throw new ApiError('not_found');
    const [records, ownSize] = await Promise.all([
      this.builds.records(modelId),
      this.tasks.ownSizeOf(modelId),
    ]);
    let watertight: boolean | undefined;
    const formats: FormatStateDto[] = [];
    for (const format of MODEL_FORMATS) {
      const info = MODEL_FORMAT_INFO[format];
      const entry: FormatStateDto = {
        format,
        media_type: info.mediaType,
        // A generated model's coordinates are metres; a painted one's its mesh's units.
        description: formatDescription(format, ownSize?.units ?? 'm'),
        url: absoluteUrl(baseUrl, modelDownloadPath(modelId, format)),
        state: 'not_made',
      };
      if (format === 'glb') {
        entry.state = 'ready';
        entry.bytes = source.size;
      } else {
        const variant = defaultVariant(format, ownSize);
        const sizeMm = variantSizeMm(variant, ownSize);
        if (sizeMm !== undefined) entry.size_mm = sizeMm;
        if (variant.sizeMm === OWN_SIZE) entry.own_size = true;
        const record = records.get(variantKey(variant));
        if (record?.state === 'ready') {
          entry.state = 'ready';
          entry.bytes = record.file.bytes;
        } else if (await this.builds.isBuilding(modelId, variant)) {
          entry.state = 'building';
        } else if (record?.state === 'failed') {
          entry.state = 'failed';
        }
      }
      formats.push(entry);
    }
    for (const record of records.values()) if (record.state === 'ready') watertight = record.file.watertight;
    const list: FormatListDto = { formats };
    if (ownSize) list.units = ownSize.units;
    if (watertight !== undefined) list.watertight = watertight;
    return list;
  }

  /** Answers the file (200/206/304), or 202 while it is made; resolves the model's watertightness when known. */
  private async download(
    modelId: string,
    request: DownloadRequest,
    req: Request,
    res: Response,
  ): Promise<boolean | undefined> {
    const { format } = request;
    const info = MODEL_FORMAT_INFO[format];
    if (format === 'glb') {
      const fileName = downloadFileName(modelId, format, undefined);
      await this.delivery.send(sourceModelName(modelId), req, res, { contentType: info.mediaType, fileName });
      return undefined;
    }
    if (!(await this.store.stat(sourceModelName(modelId)))) throw new ApiError('not_found');
    // Only where the file depends on it: a printing format at no size asked, and usdz.
    const needsOwnSize = format === 'usdz' || (info.printing && request.sizeMm === undefined);
    const ownSize = needsOwnSize ? await this.tasks.ownSizeOf(modelId) : undefined;
    const variant: FormatVariant =
      request.sizeMm !== undefined ? { format, sizeMm: request.sizeMm } : defaultVariant(format, ownSize);
    const fileName = downloadFileName(modelId, format, variant.sizeMm);
    const outcome = await this.builds.obtain(modelId, variant, limitKey(clientAddress(req)));
    if (outcome.kind === 'building') {
      const body: FormatPendingDto = { status: 'building', format, retry_after_s: outcome.retryAfterS };
      const sizeMm = variantSizeMm(variant, ownSize);
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

/**
 * The longest side of a variant's file in millimetres: its size_mm, or a painted model's own size
 * (ownSizeMm, to 0.1 mm); undefined for a format without a size.
 */
function variantSizeMm(variant: FormatVariant, ownSize: ModelOwnSize | undefined): number | undefined {
  if (variant.sizeMm === OWN_SIZE) return ownSize ? ownSizeMm(ownSize) : undefined;
  return variant.sizeMm;
}

/**
 * The variant a download of `format` with no size_mm gets: for a painted model (`ownSize` known),
 * stl and 3mf at its own size (OWN_SIZE) and usdz in its units; for any other, stl and 3mf at
 * DEFAULT_SIZE_MM. obj and ply are the GLB's coordinates as they are, either way.
 */
export function defaultVariant(
  format: Exclude<ModelFormat, 'glb'>,
  ownSize: ModelOwnSize | undefined,
): FormatVariant {
  if (MODEL_FORMAT_INFO[format].printing) {
    return ownSize ? { format, sizeMm: OWN_SIZE, units: ownSize.units } : { format, sizeMm: DEFAULT_SIZE_MM };
  }
  if (format === 'usdz' && ownSize) return { format, sizeMm: undefined, units: ownSize.units };
  return { format, sizeMm: undefined };
}
