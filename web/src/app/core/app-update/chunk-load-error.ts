/** Angular's RuntimeError code for a `@defer` block whose chunks failed to load (NG0750). */
const DEFER_LOADING_FAILED = -750;

/** How browsers word a dynamic import() whose module file could not be fetched. */
const CHUNK_FAILURE_MESSAGES = [
  /failed to fetch dynamically imported module/i, // Chromium
  /error loading dynamically imported module/i, // Firefox
  /importing a module script failed/i, // Safari
  /loading (css )?chunk \S+ failed/i, // webpack-style bundles
  /NG0750/, // Angular @defer, production message
  /loading dependencies for `@defer` block failed/i, // Angular @defer, development message
];

function messageOf(error: object): string {
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : '';
}

/**
 * Whether `error` says a lazily loaded chunk of this app could not be loaded: a dynamic import()
 * of a file that the server no longer has, typically a tab left open across an update (the new
 * build's chunks have new hashed names). Looks through Angular's wrappers (`rejection` of an
 * unhandled promise, `error` of a NavigationError, `cause`).
 */
export function isChunkLoadError(error: unknown, depth = 0): boolean {
  if (depth > 4 || error === null || typeof error !== 'object') return false;
  if ((error as { code?: unknown }).code === DEFER_LOADING_FAILED) return true;
  if ((error as { name?: unknown }).name === 'ChunkLoadError') return true;
  const message = messageOf(error);
  if (CHUNK_FAILURE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const record = error as { rejection?: unknown; error?: unknown; cause?: unknown };
  return [record.rejection, record.error, record.cause].some((inner) => isChunkLoadError(inner, depth + 1));
}
