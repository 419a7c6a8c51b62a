/** Model files are named by their task's UUID v4; nothing else under STATIC_DIR is ever served. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SERVABLE = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})(\.source)?\.glb$/;

export function isTaskId(value: string): boolean {
  return UUID_V4.test(value);
}

/** True for "{uuid}.glb" and "{uuid}.source.glb" only (lower-case, no path parts). */
export function isServableModelName(name: string): boolean {
  return SERVABLE.test(name);
}

export function webModelName(taskId: string): string {
  return `${taskId}.glb`;
}

export function sourceModelName(taskId: string): string {
  return `${taskId}.source.glb`;
}

/** Names are UUID v4, so a CDN may keep a model for its whole life (48 h). */
export const MODEL_CACHE_CONTROL = 'public, max-age=172800, immutable';

/** The media type of every model (glTF binary, RFC: IANA model/gltf-binary). */
export const MODEL_CONTENT_TYPE = 'model/gltf-binary';
