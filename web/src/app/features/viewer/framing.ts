import { Box3, BufferGeometry, MathUtils, Object3D, PerspectiveCamera, Sphere, Vector3 } from 'three';

/** How to frame a model: its bounding sphere, and the camera distance and clip planes for it. */
export interface Framing {
  /** Centre of the model's bounding box, in world space, before centring. */
  center: Vector3;
  /** Radius of the bounding sphere about the box centre (at most half the box diagonal). */
  radius: number;
  /** Camera distance from the centre that keeps the whole sphere in view. */
  distance: number;
  near: number;
  far: number;
}

/** model-viewer's default orbit: straight in front, 75 degrees from the top (15 degrees above). */
export const DEFAULT_VIEW_DIRECTION = new Vector3(
  0,
  Math.cos(MathUtils.degToRad(75)),
  Math.sin(MathUtils.degToRad(75)),
);

/**
 * The bounding sphere is fitted this much larger than it is: a model's farthest vertex lies on the
 * sphere, and where it meets the view's edge (a tall lantern's base, seen from above) it was drawn
 * touching the canvas's border, as if cut (a trial's phone screenshots).
 */
export const FRAME_MARGIN = 1.05;

/**
 * Distance at which a sphere of `radius` fits the view with FRAME_MARGIN: radius × FRAME_MARGIN /
 * sin(fov / 2), using the narrower of the vertical and horizontal fields of view so a portrait
 * phone does not clip the sides.
 */
export function fitDistance(radius: number, verticalFovDeg: number, aspect: number): number {
  const halfVertical = MathUtils.degToRad(verticalFovDeg) / 2;
  const halfHorizontal = Math.atan(Math.tan(halfVertical) * aspect);
  return (radius * FRAME_MARGIN) / Math.sin(Math.min(halfVertical, halfHorizontal));
}

/**
 * Farthest vertex from `center`, in world space. The box's own sphere (half its diagonal) is
 * loose for anything but a box: an elongated or rounded model would be framed far too small.
 */
export function vertexRadius(object: Object3D, center: Vector3): number {
  let maxSquared = 0;
  const vertex = new Vector3();
  object.traverse((node) => {
    const geometry = (node as { geometry?: BufferGeometry }).geometry;
    const position = geometry?.getAttribute('position');
    if (!position) return;
    for (let i = 0; i < position.count; i++) {
      vertex.fromBufferAttribute(position, i).applyMatrix4(node.matrixWorld);
      maxSquared = Math.max(maxSquared, vertex.distanceToSquared(center));
    }
  });
  return Math.sqrt(maxSquared);
}

/** Framing from the bounding box and sphere, whatever the model's size or position. */
export function computeFraming(object: Object3D, verticalFovDeg: number, aspect: number): Framing {
  object.updateWorldMatrix(true, true);
  const box = new Box3().setFromObject(object, true);
  const sphere = box.isEmpty() ? new Sphere(new Vector3(), 1) : box.getBoundingSphere(new Sphere());
  const tight = box.isEmpty() ? 0 : vertexRadius(object, sphere.center);
  if (tight > 0 && tight < sphere.radius) sphere.radius = tight;
  return framingFor(sphere.center, sphere.radius, verticalFovDeg, aspect);
}

/** Framing of a sphere (centre, radius) for this field of view and aspect. */
export function framingFor(
  center: Vector3,
  sphereRadius: number,
  verticalFovDeg: number,
  aspect: number,
): Framing {
  // A flat or single-point model still needs a positive radius for the camera maths.
  const radius = sphereRadius > 0 && Number.isFinite(sphereRadius) ? sphereRadius : 1;
  const distance = fitDistance(radius, verticalFovDeg, Math.max(aspect, 1e-3));
  return {
    center: center.clone(),
    radius,
    distance,
    near: Math.max(distance - radius, radius) / 100,
    far: (distance + radius) * 10,
  };
}

/** Puts the camera at `distance` from the origin (where the centred model sits) along `direction`. */
export function placeCamera(
  camera: PerspectiveCamera,
  framing: Framing,
  direction: Vector3 = DEFAULT_VIEW_DIRECTION,
): void {
  camera.near = framing.near;
  camera.far = framing.far;
  camera.position.copy(direction).normalize().multiplyScalar(framing.distance);
  camera.lookAt(0, 0, 0);
  camera.updateProjectionMatrix();
}

/** The object's axis-aligned bounds in world space, vertex-exact (not the geometries' own boxes). */
export function modelBounds(object: Object3D): Box3 {
  object.updateWorldMatrix(true, true);
  return new Box3().setFromObject(object, true);
}

/**
 * Whether two models occupy the same box: each corner within `tolerance` of the larger box's
 * diagonal. A painted copy of a mesh (same triangles, quantised for the web) matches its mesh; a
 * different model does not, and is framed afresh.
 */
export function boundsMatch(a: Box3, b: Box3, tolerance = 0.02): boolean {
  if (a.isEmpty() || b.isEmpty()) return false;
  const diagonal = Math.max(a.min.distanceTo(a.max), b.min.distanceTo(b.max));
  if (!(diagonal > 0) || !Number.isFinite(diagonal)) return false;
  const limit = diagonal * tolerance;
  return a.min.distanceTo(b.min) <= limit && a.max.distanceTo(b.max) <= limit;
}

/** What was on screen before a model replaces it: the shown model (its bounds and framing), voxels. */
export interface ShownBefore {
  model: { box: Box3; framing: Framing } | undefined;
  /** The voxel preview's framing, while one is drawn (the camera was framed on it). */
  preview: Framing | undefined;
}

/**
 * The framing whose camera a new model keeps, or undefined when it is framed afresh: the voxel
 * preview's (the model lies within its voxels), else the shown model's when the new one has the
 * same bounds (the painted copy of a mesh: same triangles, so it must not reframe). A different
 * model is framed afresh.
 */
export function keptFraming(before: ShownBefore, box: Box3): Framing | undefined {
  if (before.preview) return before.preview;
  if (before.model && boundsMatch(before.model.box, box)) return before.model.framing;
  return undefined;
}
