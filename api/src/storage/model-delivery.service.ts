import { pipeline } from 'node:stream/promises';
import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError } from '../common/api-error';
import { isServableModelName, MODEL_CACHE_CONTROL, MODEL_CONTENT_TYPE } from './model-names';
import { type ByteRange, type ModelInfo, ModelStore } from './model-store';

/**
 * If-Range (RFC 9110 §13.1.5): the range applies only while the validator still names this
 * model: a strong ETag compared exactly, or a date equal to Last-Modified. A weak ETag never matches.
 */
function ifRangeHolds(header: string | undefined, info: ModelInfo): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"')) return !info.etag.startsWith('W/') && value === info.etag;
  if (value.startsWith('W/')) return false;
  const date = Date.parse(value);
  return Number.isFinite(date) && Math.floor(info.lastModified.getTime() / 1000) === Math.floor(date / 1000);
}

/** How ModelDeliveryService.send labels a file. */
export interface DeliveryHeaders {
  /** Content-Type of the 200/206. */
  contentType: string;
  /** The download's file name (Content-Disposition: attachment); none for a model the viewer loads. */
  fileName?: string;
  /** More headers of the 200/206/304 (e.g. X-Mesh-Watertight). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Answers GET/HEAD /static/{name} from the ModelStore, the same way whichever store holds the
 * model: Content-Type model/gltf-binary, the immutable Cache-Control, ETag and Last-Modified with
 * conditional requests (304, through Express's req.fresh), one byte range (206, or 416 with
 * `Content-Range: bytes * /size`; several ranges or a malformed header get the whole model, as
 * Express's own sendFile does), streamed from the store without buffering the model.
 */
@Injectable()
export class ModelDeliveryService {
  private readonly logger = new Logger(ModelDeliveryService.name);

  constructor(private readonly store: ModelStore) {}

  /** GET /static/{name}: throws ApiError 404 for a name that is not a model's, or a model the store does not hold. */
  async serve(name: string, req: Request, res: Response): Promise<void> {
    // Matched whole against a strict pattern before the store is touched: no listing, no traversal;
    // the path must end with the name (Express also routes `{name}/` here).
    if (!isServableModelName(name) || req.path.endsWith('/')) throw new ApiError('not_found');
    await this.send(name, req, res, { contentType: MODEL_CONTENT_TYPE });
  }

  /**
   * Answers one file of the store (a name the caller made, never a client's) the way /static/
   * does, with its own Content-Type and, for a download, `Content-Disposition: attachment` naming
   * `fileName`. Throws ApiError 404 when the store does not hold it. `known`: the file's stat()
   * when the caller has just made it (one stat per answer, not two).
   */
  async send(
    name: string,
    req: Request,
    res: Response,
    as: DeliveryHeaders,
    known?: ModelInfo,
  ): Promise<void> {
    const info = known ?? (await this.store.stat(name));
    if (!info) throw new ApiError('not_found');

    let range: ByteRange | undefined;
    if (req.headers.range !== undefined && ifRangeHolds(req.get('If-Range'), info)) {
      const parsed = req.range(info.size, { combine: true });
      if (parsed === -1) {
        throw new ApiError('range_not_satisfiable', { headers: { 'Content-Range': `bytes */${info.size}` } });
      }
      if (Array.isArray(parsed) && parsed.length === 1 && parsed.type === 'bytes') range = parsed[0];
    }

    res.setHeader('Content-Type', as.contentType);
    // Express's attachment(): the RFC 6266 header, with a filename* for names beyond ASCII.
    if (as.fileName !== undefined) res.attachment(as.fileName).setHeader('Content-Type', as.contentType);
    for (const [header, value] of Object.entries(as.headers ?? {})) res.setHeader(header, value);
    res.setHeader('Cache-Control', MODEL_CACHE_CONTROL);
    // Other sites may show a model (model_url is public): helmet's same-origin would refuse them.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', info.etag);
    res.setHeader('Last-Modified', info.lastModified.toUTCString());
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    }
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : info.size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let body;
    try {
      body = await this.store.read(name, range);
    } catch (error) {
      // Deleted between stat and read (the cleanup): nothing was sent yet.
      for (const header of [
        'Content-Type',
        'Content-Disposition',
        ...Object.keys(as.headers ?? {}),
        'Cache-Control',
        'Content-Range',
        'Content-Length',
        'ETag',
        'Last-Modified',
      ]) {
        res.removeHeader(header);
      }
      res.status(200);
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        throw new ApiError('not_found');
      }
      if (['ENOENT', 'ELOOP'].includes((error as NodeJS.ErrnoException).code ?? ''))
        throw new ApiError('not_found');
      throw error;
    }
    try {
      await pipeline(body, res);
    } catch (error) {
      // The client went away, or the store broke off mid-answer: the headers are gone, only the socket can end.
      this.logger.debug(`model ${name} not delivered whole: ${(error as Error).message}`);
    }
  }
}
