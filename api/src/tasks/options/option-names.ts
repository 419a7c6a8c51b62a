import { OPTION_FIELDS } from './generation-options';
import { TEXTURE_OPTION_FIELDS } from './texture-options';

/** Every option's name in the order the requests list them: generation's, then texturing's own. */
const OPTION_ORDER: readonly string[] = [...new Set<string>([...OPTION_FIELDS, ...TEXTURE_OPTION_FIELDS])];

/**
 * The sidecar's names of request options (proto Done.ignored, HealthResponse.unused_*_options)
 * in the api's: pipeline_type is `quality`; seed, texture_size, faces and texture_resolution keep
 * theirs. In the requests' order (OPTION_ORDER), whatever order the engine named them in; a name
 * the api does not know goes last.
 */
export function apiOptionNames(protoNames: readonly string[] | undefined): string[] {
  const rank = (name: string): number => {
    const index = OPTION_ORDER.indexOf(name);
    return index < 0 ? OPTION_ORDER.length : index;
  };
  return (protoNames ?? [])
    .map((name) => (name === 'pipeline_type' ? 'quality' : name))
    .sort((a, b) => rank(a) - rank(b));
}
