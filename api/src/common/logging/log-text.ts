/** The longest URL (or other client-supplied text) a log line quotes, in characters. */
export const MAX_LOGGED_URL = 512;

/** C0 control characters and DEL: what a log line must never carry raw. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * Client-supplied text (a request's URL, a parser's message quoting it) as a log line may hold
 * it: control characters escaped (\x1b, \x00: no terminal escapes or forged lines from a
 * visitor) and at most `max` characters, with the full length said. A URL may be up to 16 KB
 * (Node's header limit) and every 404 is logged: uncut, anyone could fill the disk a line at a time.
 * e.g. forLog('/a'.repeat(400)) -> '/a/a.../a... (800 chars)'.
 */
export function forLog(text: string, max = MAX_LOGGED_URL): string {
  const clean = text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}... (${clean.length} chars)` : clean;
}
