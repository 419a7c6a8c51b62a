/**
 * The admission benchmark's same-framework baseline: a bare NestJS 12 + Express + multer app
 * answering POST /api/generate with the product's own validation and normalisation
 * (inspectImage, normaliseImage: header, pixels, blank check, PNG for the engine) and nothing
 * else: no admission, Redis, queue, helmet or logging. Run as its own process, as the api is:
 *
 *   node dist/api-test/bench/support/bare-upload-nest.js PORT
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  Controller,
  HttpCode,
  HttpException,
  Module,
  Post,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FileInterceptor } from '@nestjs/platform-express';
import { memoryStorage } from 'multer';
import { ApiError } from '../../src/common/api-error';
import { inspectImage, normaliseImage } from '../../src/tasks/intake/image-normaliser';

@Controller('api')
class BareUploadController {
  @Post('generate')
  @HttpCode(202)
  @UseInterceptors(
    FileInterceptor('image', { storage: memoryStorage(), limits: { fileSize: 10 * 1024 * 1024 } }),
  )
  async generate(@UploadedFile() file: Express.Multer.File | undefined): Promise<Record<string, unknown>> {
    if (!file) throw new HttpException({ success: false, error: 'Unsupported image format' }, 400);
    try {
      await normaliseImage(file.buffer, await inspectImage(file.buffer));
    } catch (error) {
      if (error instanceof ApiError)
        throw new HttpException({ success: false, error: error.message }, error.status);
      throw error;
    }
    const id = randomUUID();
    return { success: true, task_id: id, status_url: `/api/status/${id}`, queue_position: 1 };
  }
}

@Module({ controllers: [BareUploadController] })
class BareUploadModule {}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const app = await NestFactory.create(BareUploadModule, { logger: ['error'] });
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`listening on ${port}\n`);
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
