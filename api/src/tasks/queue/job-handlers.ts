import 'reflect-metadata';
import { JobName } from './job-names';

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

/** Boot fails unless every JobName has exactly one handler and no handler is for an unknown name. */
export function assertOneHandlerPerJob(processor: { prototype: object; name: string }): void {
  const handled = handledJobNames(processor);
  const problems: string[] = [];
  const known: string[] = Object.values(JobName);
  for (const name of known) {
    const count = handled.filter((h) => h === name).length;
    if (count !== 1) problems.push(`job "${name}" has ${count} handlers`);
  }
  for (const name of handled) {
    if (!(Object.values(JobName) as string[]).includes(name))
      problems.push(`handler for unknown job "${name}"`);
  }
  if (problems.length > 0) throw new Error(`${processor.name}: ${problems.join('; ')}`);
}
