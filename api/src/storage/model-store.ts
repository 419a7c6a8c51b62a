import type { Readable } from 'node:stream';

/** What a store knows of one model: enough for HTTP's Content-Length, ETag and Last-Modified. */
export interface ModelInfo {
  /** The model's file name ("{uuid}.glb" or "{uuid}.source.glb"). */
  name: string;
  /** Bytes. */
  size: number;
  /** When it was published (a folder: the file's mtime; a bucket: the object's LastModified, whole seconds). */
  lastModified: Date;
  /** An HTTP entity tag, quoted (weak for a folder, the object's own ETag for a bucket). */
  etag: string;
}

/** Inclusive byte range, as HTTP's Range header and S3's GetObject Range count. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The store cannot be used at all (missing bucket, refused credentials, unwritable folder): the start stops. */
export class ModelStoreUnavailableError extends Error {}

/**
 * Where finished models live (docs/design.md, Operations: Storage), behind one interface so every
 * api process serves, lists and deletes them the same way whichever store holds them:
 * LocalModelStore (a folder, STATIC_DIR: one machine) or S3ModelStore (an S3-compatible bucket
 * such as Cloudflare R2, MinIO or AWS S3: several machines). STORAGE_URL chooses
 * (storage-target.ts).
 *
 * Models are made on local disk first, in workDir, and only a complete file is published, so a
 * partial model is never served: the folder renames it into place, the bucket uploads it and
 * then removes the local copy.
 */
export abstract class ModelStore {
  /** Human-readable location for logs and errors: a folder path or s3://bucket/prefix. */
  abstract readonly location: string;
  /** Local folder where models are written before publish() (the sidecar's output, the web model). */
  abstract readonly workDir: string;

  /**
   * Checked once at start: the folder exists and is writable, or the bucket answers HeadBucket.
   * Throws ModelStoreUnavailableError with a message an operator can act on.
   */
  abstract check(): Promise<void>;

  /**
   * Names this store the same in every process that uses the same one, and differently
   * otherwise: a folder by a random id kept in a marker file inside it (two machines' folders
   * differ even at the same path), a bucket by its endpoint, name and prefix. Processes on one
   * Redis compare it at start (WorkerRegistry) to refuse a setup that would lose models.
   */
  abstract identity(): Promise<string>;

  /**
   * Moves the complete local file at localPath into the store as name (atomically for readers).
   * `keepLocal`: a store that is not the work folder itself (a bucket) leaves localPath in place,
   * for a next step of the same process that reads it (the web model), which then removes it.
   */
  abstract publish(localPath: string, name: string, options?: { keepLocal?: boolean }): Promise<void>;

  /** The model's size, date and ETag, or undefined when there is no such model. */
  abstract stat(name: string): Promise<ModelInfo | undefined>;

  /**
   * The model's bytes (the whole model, or one inclusive range), streamed from the store.
   * Rejects when the model vanished since stat() (a cleanup in between): callers answer 404.
   */
  abstract read(name: string, range?: ByteRange): Promise<Readable>;

  /** Deletes these models; a name that is not there is not an error. */
  abstract remove(names: readonly string[]): Promise<void>;

  /**
   * Restarts a model's retention: its last-modified time becomes now (the cleanup cron and a
   * bucket lifecycle rule both read it). Resolves false when the model is not there.
   */
  abstract touch(name: string): Promise<boolean>;

  /** Every object or file in the store that could be a model (names are not filtered here). */
  abstract list(): AsyncIterable<ModelInfo>;

  /**
   * An absolute URL where browsers fetch the model straight from the store (a public bucket
   * URL, STORAGE_PUBLIC_URL), or undefined when the api serves it at /static/{name}.
   */
  publicUrl(name: string): string | undefined {
    void name;
    return undefined;
  }
}
