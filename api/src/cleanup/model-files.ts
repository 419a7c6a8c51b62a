import type { ModelInfo } from '../storage/model-store';

/**
 * Models the cleanup deletes: *.glb entries of the store (models, never a folder's other files
 * or a ".partial") last modified before the cutoff (ms since the epoch).
 */
export function selectExpired(
  entries: readonly Pick<ModelInfo, 'name' | 'lastModified'>[],
  cutoffMs: number,
): string[] {
  return entries
    .filter((e) => e.name.endsWith('.glb') && e.lastModified.getTime() < cutoffMs)
    .map((e) => e.name);
}
