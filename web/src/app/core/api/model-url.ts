/**
 * Model URLs of the HTTP contract (docs/design.md): models are `/static/{uuid}.glb` (web) and
 * `/static/{uuid}.source.glb` (download), and a model is shared as `/m/{uuid}`.
 */

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a model id: a UUID, in either case. */
export function isModelId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Whether a string is a task id: a UUID, in either case, like a model id. */
export function isTaskId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/**
 * A page of the web app (`/m/{uuid}`, `/t/{uuid}`) as a link to pass on: on PUBLIC_BASE_URL when
 * the server names one (GET /api/config's public_base_url), else on this page's own origin.
 */
export function pageLink(path: string, publicBaseUrl: string | null = null): string {
  return publicBaseUrl ? `${publicBaseUrl.replace(/\/+$/, '')}${path}` : new URL(path, location.origin).href;
}

/** /static/{uuid}.glb (absolute or not) -> the lower-case uuid; undefined for anything else. */
export function modelIdFromUrl(url: string): string | undefined {
  const match = /\/static\/([0-9a-f-]{36})\.glb(?:[?#].*)?$/i.exec(url);
  return match?.[1] && isModelId(match[1]) ? match[1].toLowerCase() : undefined;
}

/**
 * Model URLs are made relative to the page: the api may hand out its public https origin
 * (PUBLIC_BASE_URL), and a same-origin path never meets CORS or mixed content. Other URLs pass.
 */
export function toSameOriginPath(url: string): string {
  const match = /^(?:https?:\/\/[^/]+)?(\/static\/[^?#]+)$/.exec(url.trim());
  return match?.[1] ?? url;
}

/**
 * A preview URL (GET /api/tasks/{uuid}/preview?rev=N, absolute or not) as a same-origin path, for
 * the same reasons as model URLs; undefined for anything else (a preview is never fetched elsewhere).
 */
export function previewPath(url: string): string | undefined {
  const match = /^(?:https?:\/\/[^/]+)?(\/api\/tasks\/[0-9a-f-]{36}\/preview\?rev=\d{1,9})$/i.exec(
    url.trim(),
  );
  return match?.[1];
}
