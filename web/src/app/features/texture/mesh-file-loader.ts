import { BufferGeometry, Material, Mesh, MeshStandardMaterial, Object3D, Vector3 } from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { OBJLoader } from 'three/examples/jsm/loaders/OBJLoader.js';
import { PLYLoader } from 'three/examples/jsm/loaders/PLYLoader.js';

import type { ApiError } from '../../core/api/api-types';
import { disposeMaterial, disposeObject } from '../viewer/disposal';
import { modelBounds } from '../viewer/framing';
import { type MeshKind, readBlob } from './mesh-validation';

/** The plain grey a mesh is drawn in until its painted model replaces it. */
export const UNPAINTED_GREY = 0x80868f;

/** A mesh parsed in the browser: grey, ready for the viewer, with what the checks counted. */
export interface ParsedMesh {
  object: Object3D;
  triangles: number;
  /**
   * The sides (x, y, z) of its bounding box in the file's own coordinates, node transforms
   * applied: what the server measures too (its own size is this x the units chosen).
   */
  extent: [number, number, number];
  /** Frees its geometry and material (the viewer only borrows the object). */
  dispose: () => void;
}

/**
 * The loader's verdict: the mesh, the server's refusal of what parsing reveals (422 mesh_no_faces,
 * mesh_not_finite), or `unreadable` when the browser's loader could not parse the file at all.
 */
/** A mesh with more triangles than the server paints (TEXTURE_MAX_FACES): both counts. */
export interface TooManyFaces {
  faces: number;
  max: number;
}

export type MeshParse =
  | { ok: true; mesh: ParsedMesh }
  | { ok: false; error: ApiError }
  | { ok: false; unreadable: string }
  | { ok: false; tooManyFaces: TooManyFaces };

async function parseObject(buffer: ArrayBuffer, kind: MeshKind): Promise<Object3D> {
  switch (kind) {
    case 'glb':
      return (await new GLTFLoader().parseAsync(buffer, '')).scene;
    case 'obj':
      return new OBJLoader().parse(new TextDecoder().decode(buffer));
    case 'ply': {
      const geometry = new PLYLoader().parse(buffer);
      // A PLY without a face element is a point cloud: no index, nothing to paint.
      return new Mesh(geometry.index ? geometry : (geometry.dispose(), new BufferGeometry()));
    }
  }
}

/** Whether some triangle of `geometry` (indexed or not) has a nonzero area; stops at the first. */
function someTriangleHasArea(geometry: BufferGeometry): boolean {
  const position = geometry.getAttribute('position');
  const index = geometry.getIndex();
  const count = index ? index.count : position.count;
  const corner = (i: number): Vector3 =>
    new Vector3().fromBufferAttribute(position, index ? index.getX(i) : i);
  for (let i = 0; i + 2 < count; i += 3) {
    const a = corner(i);
    const ab = corner(i + 1).sub(a);
    const ac = corner(i + 2).sub(a);
    if (ab.cross(ac).lengthSq() > 0) return true;
  }
  return false;
}

/**
 * Triangles of the object's meshes (points and lines count none), its vertices (of any kind),
 * whether every vertex is finite, and whether some triangle has an area (the server refuses a mesh
 * whose triangles all have none: mesh_no_faces).
 */
export function measureMesh(root: Object3D): {
  triangles: number;
  vertices: number;
  finite: boolean;
  hasArea: boolean;
} {
  let triangles = 0;
  let vertices = 0;
  let finite = true;
  let hasArea = false;
  root.traverse((node) => {
    const geometry = (node as { geometry?: BufferGeometry }).geometry;
    const position = geometry?.getAttribute('position');
    if (!geometry || !position) return;
    vertices += position.count;
    const values = position.array;
    for (let i = 0; finite && i < values.length; i++) finite = Number.isFinite(values[i]);
    if (!(node instanceof Mesh)) return;
    const index = geometry.getIndex();
    triangles += Math.floor((index ? index.count : position.count) / 3);
    hasArea ||= someTriangleHasArea(geometry);
  });
  return { triangles, vertices, finite, hasArea };
}

/** Every mesh in one shared matte grey, with normals where the file had none; its own materials freed. */
export function paintGrey(root: Object3D): Material {
  const grey = new MeshStandardMaterial({ color: UNPAINTED_GREY, roughness: 0.6, metalness: 0 });
  root.traverse((node) => {
    if (!(node instanceof Mesh)) return;
    const mesh = node as Mesh;
    for (const own of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) disposeMaterial(own);
    mesh.material = grey;
    const geometry = mesh.geometry;
    if (!geometry.getAttribute('normal') && geometry.getAttribute('position'))
      geometry.computeVertexNormals();
  });
  return grey;
}

/**
 * Parses a checked mesh file with three's own loader for its kind and makes it the grey preview;
 * refuses, as the server would, a mesh with no triangles, a non-finite vertex, or more triangles
 * than `maxFaces` (the server's TEXTURE_MAX_FACES, from /api/config: its code is
 * mesh_too_many_faces, and both counts come back so the page can say them in its own language).
 */
export async function parseMeshFile(
  file: Blob,
  kind: MeshKind,
  maxFaces = Number.POSITIVE_INFINITY,
): Promise<MeshParse> {
  let object: Object3D;
  try {
    object = await parseObject((await readBlob(file)).buffer as ArrayBuffer, kind);
  } catch (error) {
    return { ok: false, unreadable: error instanceof Error ? error.message : String(error) };
  }
  const { triangles, vertices, finite, hasArea } = measureMesh(object);
  // OBJLoader skips the lines it does not know (a warning, no error): text without a single
  // vertex was no OBJ at all.
  if (kind === 'obj' && vertices === 0) {
    disposeObject(object);
    return { ok: false, unreadable: 'no OBJ vertex' };
  }
  if (triangles === 0 || !hasArea || !finite) {
    disposeObject(object);
    // The server's order: no triangles, then a vertex that isn't finite, then no area.
    const code = triangles > 0 && !finite ? 'mesh_not_finite' : 'mesh_no_faces';
    return { ok: false, error: { status: 422, code, error: '' } };
  }
  if (triangles > maxFaces) {
    disposeObject(object);
    return { ok: false, tooManyFaces: { faces: triangles, max: maxFaces } };
  }
  const grey = paintGrey(object);
  object.name = object.name || 'kiln-unpainted-mesh';
  // Vertex-exact, node transforms applied (the viewer's own bounds): as the server measures it.
  const size = modelBounds(object).getSize(new Vector3());
  return {
    ok: true,
    mesh: {
      object,
      triangles,
      extent: [size.x, size.y, size.z],
      dispose: () => {
        disposeObject(object);
        grey.dispose();
      },
    },
  };
}
