import { modelIdOfFile } from '../storage/model-formats';
import type { ModelInfo } from '../storage/model-store';

/**
 * Files the cleanup deletes (names, from one listing of the store), nothing that is not a model's:
 * - a model's GLBs ("{id}.glb", "{id}.source.glb", any other *.glb) last modified before the cutoff;
 * - its files in other formats ("{id}.100mm.stl", "{id}.usdz", ...: storage/model-formats.ts)
 *   when their model has no GLB left that is younger, however new they are themselves: a format
 *   goes with its model, never outlives it, and lives as long as it does (a model kept alive by
 *   instant repeats keeps the files its formats list says are made).
 * A ".partial" or a folder's marker is never touched. cutoffMs: ms since the epoch.
 */
export function selectExpired(
  entries: readonly Pick<ModelInfo, 'name' | 'lastModified'>[],
  cutoffMs: number,
): string[] {
  const expired = (e: Pick<ModelInfo, 'lastModified'>): boolean => e.lastModified.getTime() < cutoffMs;
  const liveModels = new Set(
    entries
      .filter((e) => e.name.endsWith('.glb') && !expired(e))
      .map((e) => modelIdOfFile(e.name))
      .filter((id) => id !== undefined),
  );
  return entries
    .filter((e) => {
      if (e.name.endsWith('.glb')) return expired(e);
      const modelId = modelIdOfFile(e.name);
      return modelId !== undefined && !liveModels.has(modelId);
    })
    .map((e) => e.name);
}
