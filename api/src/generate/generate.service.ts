import { Injectable, Logger } from '@nestjs/common';
import { ApiError, ErrorMessage } from '../common/api-error';
import { absoluteUrl } from '../common/public-url';
import { AdmissionService } from '../tasks/admission/admission.service';
import { TaskEventsService } from '../tasks/events/task-events.service';
import { TaskQueueService } from '../tasks/queue/task-queue.service';
import type { GenerateAcceptedDto, GenerateDoneDto } from './generate.dto';
import { normaliseImage } from './image-normaliser';

/** What POST /api/generate answers: 202 with the task at once, or 200 with the model (?wait=true). */
export type GenerateOutcome =
  { httpStatus: 202; body: GenerateAcceptedDto } | { httpStatus: 200; body: GenerateDoneDto };

/**
 * One upload becomes one queued task (docs/design.md, HTTP contract): a queue slot is taken
 * before the image is decoded (503 + Retry-After when full), the image is normalised (400 when
 * refused, and the slot is given back), then the task is stored and enqueued.
 */
@Injectable()
export class GenerateService {
  private readonly logger = new Logger('Upload');

  constructor(
    private readonly admission: AdmissionService,
    private readonly queue: TaskQueueService,
    private readonly events: TaskEventsService,
  ) {}

  /**
   * Admits, normalises and enqueues the uploaded picture. With wait, holds on until the task
   * ends and answers the model, or throws the task's error (its http_status and message).
   * baseUrl: the origin the client's URLs are made absolute against.
   * Throws ApiError: 400 (no file, unsupported image), 503 (queue full); with wait also 409,
   * 500, 504 as the task ended.
   */
  async submit(
    file: Express.Multer.File | undefined,
    wait: boolean,
    baseUrl: string,
  ): Promise<GenerateOutcome> {
    if (!file) throw new ApiError(400, ErrorMessage.missingImage);
    const taskId = await this.admission.admit();
    const png = await this.normalise(taskId, file);
    const state = await this.queue.enqueue(taskId, png);
    if (!wait) {
      return {
        httpStatus: 202,
        body: {
          success: true,
          task_id: taskId,
          status_url: absoluteUrl(baseUrl, `/api/status/${taskId}`),
          queue_position: state.record.position ?? 0,
        },
      };
    }
    return { httpStatus: 200, body: await this.waitForModel(taskId, baseUrl) };
  }

  /** The upload as a PNG (image-normaliser's rules); a refused image gives its slot back. */
  private async normalise(taskId: string, file: Express.Multer.File): Promise<Buffer> {
    try {
      const image = await normaliseImage(file.buffer);
      this.logger.log(
        `request received task=${taskId} bytes=${file.size} format=${image.format} ` +
          `${image.inputWidth}x${image.inputHeight} -> ${image.width}x${image.height}`,
      );
      return image.png;
    } catch (error) {
      this.logger.log(`request received bytes=${file.size} format=unsupported: refused`);
      await this.admission.release(taskId);
      throw error;
    }
  }

  private async waitForModel(taskId: string, baseUrl: string): Promise<GenerateDoneDto> {
    const final = await this.events.waitForTerminal(taskId);
    if (!final) throw new ApiError(500, ErrorMessage.internal);
    const record = final.record;
    if (record.status === 'completed' && record.model_path !== undefined) {
      return {
        success: true,
        model_url: absoluteUrl(baseUrl, record.model_path),
        generation_time: record.generation_time ?? 0,
        task_id: taskId,
      };
    }
    throw new ApiError(record.http_status ?? 500, record.error ?? ErrorMessage.internal);
  }
}
