import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { MODEL_CACHE_CONTROL, MODEL_CONTENT_TYPE } from './model-names';
import { type ByteRange, type ModelInfo, ModelStore, ModelStoreUnavailableError } from './model-store';

/** Where the bucket is: STORAGE_URL s3://bucket/prefix, and the optional public URL of the bucket. */
export interface S3Target {
  bucket: string;
  /** Key prefix, '' or ending in '/'. */
  prefix: string;
  /** STORAGE_PUBLIC_URL: browsers fetch {publicUrl}/{prefix}{name} straight from the bucket. */
  publicUrl?: string;
}

/**
 * The SDK client from its own standard variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; the SDK reads them itself). Where an
 * endpoint is set (R2, MinIO, moto), path-style addressing: those servers do not resolve
 * bucket.host names. Checksums only where an operation requires one: since SDK 3.729 the default
 * adds CRC32 trailers that S3-compatible servers other than AWS reject or ignore
 * (the SDK's own notice, "Data Integrity Protections for Amazon S3", lists the two settings).
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return new S3Client({
    // The SDK has no default region; R2 ignores it, S3 needs the bucket's own.
    region: env.AWS_REGION ? undefined : 'us-east-1',
    forcePathStyle: Boolean(endpoint),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function httpStatus(error: unknown): number | undefined {
  return (error as SdkError).$metadata?.httpStatusCode;
}

/**
 * Models as objects in an S3-compatible bucket (Cloudflare R2, MinIO, AWS S3) through
 * @aws-sdk/client-s3: for several machines on one Redis. Objects carry the model's Content-Type
 * and Cache-Control, so a public bucket URL answers with the same headers as /static/. A model is
 * made in workDir (STATIC_DIR/.work, local scratch), uploaded whole with one PutObject (S3
 * objects appear atomically), then its local copy is removed.
 */
export class S3ModelStore extends ModelStore {
  readonly location: string;
  readonly workDir: string;

  constructor(
    private readonly target: S3Target,
    scratchDir: string,
    private readonly client: S3Client = createS3Client(),
  ) {
    super();
    this.location = `s3://${target.bucket}/${target.prefix}`;
    this.workDir = join(resolve(scratchDir), '.work');
  }

  private key(name: string): string {
    return `${this.target.prefix}${name}`;
  }

  async check(): Promise<void> {
    await mkdir(this.workDir, { recursive: true });
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? 'AWS S3';
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.target.bucket }));
    } catch (error) {
      const status = httpStatus(error);
      const detail = (error as SdkError).message ?? String(error);
      if (status === 404) {
        throw new ModelStoreUnavailableError(
          `bucket "${this.target.bucket}" does not exist at ${endpoint} (STORAGE_URL=${this.location}): ` +
            'create it first (the operator does; the api never creates buckets)',
        );
      }
      if (status === 403 || status === 401) {
        throw new ModelStoreUnavailableError(
          `access to bucket "${this.target.bucket}" at ${endpoint} was refused (HTTP ${status}): ` +
            'check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
        );
      }
      throw new ModelStoreUnavailableError(
        `bucket "${this.target.bucket}" at ${endpoint} cannot be used (STORAGE_URL=${this.location}; ` +
          `check AWS_ENDPOINT_URL_S3, AWS_REGION and the credentials): ${detail}`,
      );
    }
  }

  identity(): Promise<string> {
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? 'aws';
    return Promise.resolve(`s3:${endpoint.replace(/\/+$/, '')}/${this.target.bucket}/${this.target.prefix}`);
  }

  async publish(localPath: string, name: string, options?: { keepLocal?: boolean }): Promise<void> {
    const { size } = await stat(localPath);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.target.bucket,
        Key: this.key(name),
        Body: createReadStream(localPath),
        ContentLength: size,
        ContentType: MODEL_CONTENT_TYPE,
        CacheControl: MODEL_CACHE_CONTROL,
      }),
    );
    if (options?.keepLocal !== true) await rm(localPath, { force: true });
  }

  async stat(name: string): Promise<ModelInfo | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.target.bucket, Key: this.key(name) }),
      );
      return {
        name,
        size: head.ContentLength ?? 0,
        lastModified: head.LastModified ?? new Date(0),
        etag: head.ETag ?? '""',
      };
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    const object = await this.client.send(
      new GetObjectCommand({
        Bucket: this.target.bucket,
        Key: this.key(name),
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    // In Node the SDK's body is the HTTP response itself (an IncomingMessage, a Readable).
    return object.Body as Readable;
  }

  async touch(name: string): Promise<boolean> {
    // S3 has no "touch": a copy onto itself with its metadata replaced gives it a new
    // LastModified (a copy without a change is refused), keeping its headers.
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.target.bucket,
          Key: this.key(name),
          CopySource: `${this.target.bucket}/${encodeURIComponent(this.key(name)).replace(/%2F/g, '/')}`,
          MetadataDirective: 'REPLACE',
          ContentType: MODEL_CONTENT_TYPE,
          CacheControl: MODEL_CACHE_CONTROL,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return false;
      throw error;
    }
  }

  async remove(names: readonly string[]): Promise<void> {
    // One DeleteObject each (a task has two models): DeleteObjects needs a Content-MD5 that
    // several S3-compatible servers handle differently.
    await Promise.all(
      names.map((name) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: this.key(name) })),
      ),
    );
  }

  async *list(): AsyncIterable<ModelInfo> {
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.target.bucket, Prefix: this.target.prefix },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? '').slice(this.target.prefix.length);
        if (name === '' || name.includes('/')) continue;
        yield {
          name,
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
          etag: object.ETag ?? '""',
        };
      }
    }
  }

  override publicUrl(name: string): string | undefined {
    if (this.target.publicUrl === undefined) return undefined;
    return `${this.target.publicUrl}/${this.key(name).split('/').map(encodeURIComponent).join('/')}`;
  }
}
