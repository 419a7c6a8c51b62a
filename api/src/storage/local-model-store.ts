import { randomUUID } from 'node:crypto';
import {
  access,
  constants,
  link,
  lstat,
  open,
  readFile,
  readdir,
  rename,
  rm,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { makeFolder } from '../common/make-folder';
import { type ByteRange, type ModelInfo, ModelStore, ModelStoreUnavailableError } from './model-store';

/** Express's weak ETag for a file (the `etag` package's stat form): size and mtime in hex. */
function weakEtag(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** The file in STATIC_DIR that names the folder (never a model name, so never served or swept). */
export const FOLDER_MARKER = '.kiln3d-folder-id';
/** How long identity() waits for a marker another process created but has not written yet. */
export const MARKER_WAIT_MS = 2000;

/**
 * Models as files in one folder (STATIC_DIR): the default, for one machine (any number of api
 * processes on that machine share it). Files are made in the folder itself, so publishing is a
 * rename on one filesystem: readers see the whole file or none.
 */
export class LocalModelStore extends ModelStore {
  readonly location: string;
  readonly workDir: string;

  constructor(readonly dir: string) {
    super();
    this.location = resolve(dir);
    this.workDir = this.location;
  }

  async check(): Promise<void> {
    try {
      makeFolder(this.dir);
      await access(this.dir, constants.W_OK | constants.R_OK);
    } catch (error) {
      throw new ModelStoreUnavailableError(
        `the model folder ${this.location} (STATIC_DIR) cannot be used: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The folder's marker: created once with a random id, then read. Written whole to a file of its
   * own and hard-linked into place (link fails if the marker exists), so two processes starting
   * at once agree: with an exclusive create and a write after it, the second one could read the
   * marker still empty and refuse to start (a security suite's two apis on one folder did). On a
   * filesystem without hard links (FAT, exFAT, some network mounts) the marker is created
   * exclusively instead, and a reader that finds it still empty waits for its id (MARKER_WAIT_MS).
   */
  async identity(): Promise<string> {
    const marker = join(this.dir, FOLDER_MARKER);
    const draft = join(this.dir, `${FOLDER_MARKER}.${randomUUID()}.partial`);
    const id = `${randomUUID()}\n`;
    await writeFile(draft, id, { flag: 'wx' });
    try {
      await link(draft, marker);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        await writeFile(marker, id, { flag: 'wx' }).catch((failure: NodeJS.ErrnoException) => {
          if (failure.code !== 'EEXIST') throw failure;
        });
      }
    } finally {
      await unlink(draft).catch(() => undefined);
    }
    const waitUntil = Date.now() + MARKER_WAIT_MS;
    for (;;) {
      const text = (await readFile(marker, 'utf8')).trim();
      if (text !== '' || Date.now() >= waitUntil) return `folder:${text}`;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async publish(localPath: string, name: string): Promise<void> {
    const target = join(this.dir, name);
    if (resolve(localPath) !== resolve(target)) await rename(localPath, target);
  }

  async stat(name: string): Promise<ModelInfo | undefined> {
    try {
      // lstat: a symlink someone placed in the folder is not a model (it could point anywhere).
      const info = await lstat(join(this.dir, name));
      if (!info.isFile()) return undefined;
      return { name, size: info.size, lastModified: info.mtime, etag: weakEtag(info.size, info.mtimeMs) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    // O_NOFOLLOW: a symlink swapped in after stat() is refused too (ELOOP), never followed; a
    // missing file rejects here instead of mid-answer. The stream closes the handle when done.
    const handle = await open(join(this.dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async touch(name: string): Promise<boolean> {
    if (!(await this.stat(name))) return false;
    const now = new Date();
    return utimes(join(this.dir, name), now, now).then(
      () => true,
      () => false,
    );
  }

  async remove(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => rm(join(this.dir, name), { force: true })));
  }

  async *list(): AsyncIterable<ModelInfo> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      const info = await this.stat(name).catch(() => undefined); // gone between readdir and stat
      if (info) yield info;
    }
  }
}
