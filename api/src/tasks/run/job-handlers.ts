import 'reflect-metadata';
import { JobName } from '../queue/job-names';

/** Where @nestjs/bull's @Process() keeps its options (on the method); checked by a unit spec. */
export const BULL_PROCESS_METADATA = 'bull:module_queue_process';

/** Job names handled by the @Process() methods of a processor class. */
export function handledJobNames(processor: { prototype: object }): string[] {
  const proto = processor.prototype as Record<string, unknown>;
  const names: string[] = [];
  for (const key of Object.getOwnPropertyNames(proto)) {
    const method = proto[key];
    if (typeof method !== 'function') continue;
    const options = Reflect.getMetadata(BULL_PROCESS_METADATA, method) as { name?: string } | undefined;
    if (options !== undefined) names.push(options.name ?? '*');
  }
  return names;
}

/**
 * Boot fails unless every job name of the processor's queue (`names`, default the GPU queue's
 * JobName) has exactly one handler and no handler is for an unknown name.
 */
export function assertOneHandlerPerJob(
  processor: { prototype: object; name: string },
  names: readonly string[] = Object.values(JobName),
): void {
  const handled = handledJobNames(processor);
  const problems: string[] = [];
  const known: readonly string[] = names;
  for (const name of known) {
    const count = handled.filter((h) => h === name).length;
    if (count !== 1) problems.push(`job "${name}" has ${count} handlers`);
  }
  for (const name of handled) {
    if (!known.includes(name)) problems.push(`handler for unknown job "${name}"`);
  }
  if (problems.length > 0) throw new Error(`${processor.name}: ${problems.join('; ')}`);
}
