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
