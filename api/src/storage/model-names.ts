import { randomUUID } from 'node:crypto';

/**
 * Model files are named by a model id, a UUID v4 of their own (issue 19: not the task id of whoever
 * made the model, for a repeat hands the same files to another requester); tasks made before model
 * ids named them by their task id, also a UUID v4. Nothing else under STATIC_DIR is ever served.
 */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SERVABLE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})(\.source|\.lod)?\.glb$/;

export function isTaskId(value: string): boolean {
  return UUID_V4.test(value);
}

/** A new model's id (UUID v4, random: it tells nothing of the task or the person that made it). */
export function newModelId(): string {
  return randomUUID();
}

/** True for "{uuid}.glb", "{uuid}.lod.glb" and "{uuid}.source.glb" only (lower-case, no path parts). */
export function isServableModelName(name: string): boolean {
  return SERVABLE.test(name);
}

/** The web model's file name: "{modelId}.glb". */
export function webModelName(modelId: string): string {
  return `${modelId}.glb`;
}

/**
 * The small level of detail's file name: "{modelId}.lod.glb" (issue 21: the viewer draws it
 * first, then the web model). Made, published, kept and removed with the web model.
 */
export function lodModelName(modelId: string): string {
  return `${modelId}.lod.glb`;
}

/** The engine's original model's file name: "{modelId}.source.glb". */
export function sourceModelName(modelId: string): string {
  return `${modelId}.source.glb`;
}

/**
 * The web app's share page of a model (web/src/app/app.routes.ts, `m/:id`; the api serves it with
 * its chunks and LOD preloaded, web-app.middleware.ts), which a completed task's `share_url` names.
 */
export function sharePagePath(modelId: string): string {
  return `${SHARE_PAGE_PREFIX}${modelId}`;
}

const SHARE_PAGE_PREFIX = '/m/';

/**
 * The model id a request path asks the share page for (sharePagePath's inverse; one trailing
 * slash allowed, as the client route matches it), or undefined for any other path. The id is
 * as the path spells it, not checked: the share page names only what it may (share-page.ts).
 * @param path a request's path, e.g. "/m/3f0c2a4e-…" → "3f0c2a4e-…"
 */
export function sharePageModelId(path: string): string | undefined {
  if (!path.startsWith(SHARE_PAGE_PREFIX)) return undefined;
  const id = path.slice(SHARE_PAGE_PREFIX.length).replace(/\/$/, '');
  return id === '' || id.includes('/') ? undefined : id;
}

/**
 * Names are UUID v4 (the LOD's too: "{uuid}.lod.glb"), so a browser or CDN may keep a model for its
 * whole life (48 h) and never revalidate it.
 */
export const MODEL_CACHE_CONTROL = 'public, max-age=172800, immutable';

/** The media type of every model (glTF binary, RFC: IANA model/gltf-binary). */
export const MODEL_CONTENT_TYPE = 'model/gltf-binary';
