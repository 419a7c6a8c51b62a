import { modelIdOfFile } from '../storage/model-formats';
import type { ModelInfo } from '../storage/model-store';

/**
 * Files the cleanup deletes (names, from one listing of the store), nothing that is not a model's:
 * - every file of a model ("{id}.glb", "{id}.source.glb", "{id}.lod.glb", its files in other
 *   formats: "{id}.100mm.stl", "{id}.usdz", ...: storage/model-formats.ts) once none of its GLBs
 *   was last modified after the cutoff, however new the others are: a model goes whole. Its GLBs
 *   are written a second or two apart (the source first), so a cutoff between them used to delete
 *   the source alone, and the task was forgotten while its web GLB was still served (a
 *   verification trial); a model kept alive by instant repeats keeps every file;
 * - any other *.glb last modified before the cutoff.
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
      const modelId = modelIdOfFile(e.name);
      if (modelId === undefined) return e.name.endsWith('.glb') && expired(e);
      return !liveModels.has(modelId);
    })
    .map((e) => e.name);
}
