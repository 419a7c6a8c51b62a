import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';

export interface DirectoryEntry {
  name: string;
  isFile: boolean;
  mtimeMs: number;
}

/** The filesystem as the cleanup sees it, behind a class so the unit test is exact. */
@Injectable()
export class ModelFiles {
  async list(dir: string): Promise<DirectoryEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: DirectoryEntry[] = [];
    for (const name of names) {
      try {
        const info = await stat(join(dir, name));
        entries.push({ name, isFile: info.isFile(), mtimeMs: info.mtimeMs });
      } catch {
        // Gone between readdir and stat: nothing to clean.
      }
    }
    return entries;
  }

  async remove(dir: string, name: string): Promise<void> {
    await unlink(join(dir, name));
  }
}

/** Entries the cleanup deletes: plain *.glb files (not folders) last modified before the cutoff. */
export function selectExpired(entries: readonly DirectoryEntry[], cutoffMs: number): string[] {
  return entries
    .filter((e) => e.isFile && e.name.endsWith('.glb') && e.mtimeMs < cutoffMs)
    .map((e) => e.name);
}
