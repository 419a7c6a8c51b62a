import type { NodeReport } from '../workers/worker-registry.service';
import { apiOptionNames } from './option-names';

/** GET /api/qualities' `unused_options`: request options no live worker's engine uses, by kind of task. */
export interface UnusedOptions {
  /** Of POST /api/generate: some of quality, seed, texture_size, faces. */
  generate: string[];
  /** Of POST /api/texture: some of seed, texture_size, texture_resolution. */
  texture: string[];
}

/**
 * The options that every live worker that has reported its engine never uses (NodeReport
 * unused_options), in the api's names (apiOptionNames), by kind of task: what a page can grey out
 * before a task, since whichever worker runs it will ignore them. A worker yet to report adds
 * nothing; with none reported, nothing is said unused. Pure; `nodes` as WorkerRegistry.nodes().
 */
export function unusedByEveryWorker(nodes: readonly NodeReport[]): UnusedOptions {
  const reports = nodes.flatMap((node) =>
    node.worker !== null && node.unused_options ? [node.unused_options] : [],
  );
  if (reports.length === 0) return { generate: [], texture: [] };
  const common = (lists: string[][]): string[] =>
    apiOptionNames(lists.reduce((kept, list) => kept.filter((name) => list.includes(name))));
  return {
    generate: common(reports.map((r) => r.generation)),
    texture: common(reports.map((r) => r.texture)),
  };
}
