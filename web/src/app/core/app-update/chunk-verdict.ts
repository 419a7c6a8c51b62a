/**
 * The server's answer on a lazily loaded chunk that failed: `gone` (the server answers 404 or 410
 * for it, or its index.html names another build: the app was updated), `unreachable` (no answer,
 * or a 5xx: offline, a dropped connection, a server restarting) or `present` (the file is there:
 * the load failed for a moment and may simply be tried again).
 */
export type ChunkVerdict = 'gone' | 'unreachable' | 'present';

/** A script file in the error's own text, as each browser names the module it could not import. */
const MODULE_URL = /\bhttps?:\/\/[^\s'"`]+?\.m?js\b/g;

/** How many failed files are asked about at most (each answer is a small HEAD request). */
const MAX_PROBES = 6;

/** The failed script loads the page's resource timing saw: their URL and status (0: no answer). */
export interface FailedLoad {
  name: string;
  responseStatus: number;
}

/** Whether a resource timing entry is one of this page's script files that did not load. */
export function isFailedScriptLoad(entry: FailedLoad, origin: string): boolean {
  // Browsers without responseStatus (Safari) leave it undefined: nothing is learnt from them.
  if (typeof entry.responseStatus !== 'number') return false;
  if (entry.responseStatus >= 200 && entry.responseStatus < 400) return false;
  let url: URL;
  try {
    url = new URL(entry.name);
  } catch {
    return false;
  }
  return url.origin === origin && /\.m?js$/.test(url.pathname);
}

/**
 * The files worth asking about for `error`: the module its message names (a dynamic import()
 * names the file it imported, even when one of that file's own imports was what failed) and the
 * script loads that failed (`failed`, from resource timing), newest first, without repeats, at
 * most MAX_PROBES. Only this page's origin: another server's file says nothing about this build.
 */
export function chunkUrlsToProbe(error: unknown, failed: readonly FailedLoad[], origin: string): string[] {
  const urls: string[] = [];
  const add = (url: string): void => {
    if (!urls.includes(url)) urls.push(url);
  };
  for (const url of messagesOf(error).flatMap((message) => message.match(MODULE_URL) ?? [])) {
    try {
      if (new URL(url).origin === origin) add(url);
    } catch {
      // Not a URL after all.
    }
  }
  for (const entry of [...failed].reverse()) if (isFailedScriptLoad(entry, origin)) add(entry.name);
  return urls.slice(0, MAX_PROBES);
}

/** The messages of `error` and of what it wraps (rejection, error, cause), a few levels deep. */
function messagesOf(error: unknown, depth = 0): string[] {
  if (depth > 4 || error === null || typeof error !== 'object') return [];
  const record = error as { message?: unknown; rejection?: unknown; error?: unknown; cause?: unknown };
  const own = typeof record.message === 'string' ? [record.message] : [];
  return [
    ...own,
    ...[record.rejection, record.error, record.cause].flatMap((inner) => messagesOf(inner, depth + 1)),
  ];
}

/**
 * Which build an index.html is: the sorted `src` of its module scripts (Angular's hashed
 * `main-XXXX.js`, `polyfills-XXXX.js`), joined; '' when it names none.
 */
export function buildIdOf(html: string): string {
  const sources = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)]
    .filter(([tag]) => /\btype="module"/.test(tag))
    .map(([, src]) => src);
  return sources.sort().join(' ');
}

function answerOf(status: number): ChunkVerdict {
  if (status === 404 || status === 410) return 'gone';
  return status >= 500 ? 'unreachable' : 'present';
}

/**
 * Asks the server about the failed chunks: a HEAD request for each of `urls` (never from the
 * cache), then, unless one is gone, the current index.html, whose build (buildIdOf) is compared
 * with `currentBuild` (the running page's; '' skips the comparison). Gone wins over unreachable,
 * which wins over present: one missing file is enough to know the build changed.
 */
export async function judgeChunkFailure(
  urls: readonly string[],
  currentBuild: string,
  indexUrl: string,
  fetchFn: typeof fetch = fetch,
): Promise<ChunkVerdict> {
  const ask = async (
    url: string,
    method: 'HEAD' | 'GET',
  ): Promise<{ answer: ChunkVerdict; body?: string }> => {
    try {
      const response = await fetchFn(url, { method, cache: 'no-store', credentials: 'same-origin' });
      const answer = answerOf(response.status);
      return method === 'GET' && response.ok ? { answer, body: await response.text() } : { answer };
    } catch {
      return { answer: 'unreachable' };
    }
  };
  const answers = (await Promise.all(urls.map((url) => ask(url, 'HEAD')))).map((a) => a.answer);
  if (answers.includes('gone')) return 'gone';
  if (currentBuild !== '') {
    const index = await ask(indexUrl, 'GET');
    if (index.body !== undefined && buildIdOf(index.body) !== '' && buildIdOf(index.body) !== currentBuild) {
      return 'gone';
    }
    // index.html itself missing says nothing about the chunks: only an unanswered request counts.
    if (index.answer === 'unreachable') answers.push('unreachable');
  }
  return answers.includes('unreachable') ? 'unreachable' : 'present';
}
