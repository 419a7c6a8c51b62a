import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InferenceError } from '../inference.repository';

/**
 * The most bytes one model may have on the stream. TRELLIS.2 at its largest settings (4096²
 * textures, nvdiffrast's 16.7 M face limit) makes a few hundred MB; past this the sidecar is
 * faulty and the disk is protected.
 */
export const MAX_MODEL_BYTES = 1024 * 1024 * 1024;

/**
 * Receives one model from a Generate stream (proto ModelChunk, then Done) into a file: the chunks
 * are written to a hidden temporary name beside `path` (".{name}.{hex}.partial", which removeModels
 * and the cleanup sweep know), and only a complete model whose length and SHA-256 match Done is
 * renamed to `path`. Anything else, and every path that ends early (abort(), a broken stream),
 * leaves no file. Synchronous file calls: the chunks are at most 1 MiB and their order is the
 * stream's. Single use.
 */
export class ModelReceiver {
  private fd: number | null = null;
  private received = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly partial: string;
  private finished = false;

  constructor(private readonly path: string) {
    const stem = basename(path).replace(/\.source\.glb$|\.glb$/, '');
    this.partial = join(dirname(path), `.${stem}.${randomBytes(4).toString('hex')}.partial`);
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.received;
  }

  /**
   * Appends one chunk. Throws InferenceError INTERNAL when its offset is not the bytes received so
   * far (a reordered or lost chunk) or the model grows past MAX_MODEL_BYTES.
   */
  write(offset: number, data: Buffer): void {
    if (this.finished) throw new InferenceError('INTERNAL', 'Model chunk after the end of the model');
    if (offset !== this.received) {
      throw new InferenceError('INTERNAL', `Model stream damaged: chunk at byte ${offset}, expected ${this.received}`);
    }
    if (this.received + data.length > MAX_MODEL_BYTES) {
      throw new InferenceError('INTERNAL', `Model stream over ${MAX_MODEL_BYTES} bytes`);
    }
    this.fd ??= openSync(this.partial, 'wx', 0o644);
    let written = 0;
    while (written < data.length) written += writeSync(this.fd, data, written, data.length - written);
    this.hash.update(data);
    this.received += data.length;
  }

  /**
   * Ends the model: checks Done's length and SHA-256 against what arrived, then renames the file
   * into place (durably: fsync first). Throws InferenceError INTERNAL on an empty model or a
   * mismatch; the temporary file is gone then.
   */
  finish(expectedBytes: number, expectedSha256: Buffer): void {
    try {
      if (this.received === 0) throw new InferenceError('INTERNAL', 'The sidecar sent no model');
      if (this.received !== expectedBytes) {
        throw new InferenceError(
          'INTERNAL',
          `Model stream damaged: ${this.received} bytes received, the sidecar sent ${expectedBytes}`,
        );
      }
      const digest = this.hash.digest();
      if (expectedSha256.length !== digest.length || !digest.equals(expectedSha256)) {
        throw new InferenceError('INTERNAL', 'Model stream damaged: SHA-256 does not match');
      }
      const fd = this.fd as number;
      fsyncSync(fd);
      closeSync(fd);
      this.fd = null;
      renameSync(this.partial, this.path);
      this.finished = true;
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Drops whatever arrived (idempotent; a finished model is kept). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    rmSync(this.partial, { force: true });
  }
}
