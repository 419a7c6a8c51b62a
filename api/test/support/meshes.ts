/**
 * Meshes to upload to POST /api/texture, made in the test (no file outside the repository): a
 * UV sphere as indexed triangles, written as GLB (gltf-transform, optionally under a node with a
 * transform), OBJ and PLY text, and hostile variants (a point cloud, NaN, a compressed GLB, a GLB
 * whose accessor claims far more than its buffer holds).
 */
import { Document, NodeIO } from '@gltf-transform/core';

/** Indexed triangles: xyz per vertex, three vertex indices per triangle. */
export interface TriangleMesh {
  positions: Float32Array;
  indices: Uint32Array;
}

/**
 * A UV sphere of `radius` around the origin: `segments` around, `rings` from pole to pole;
 * 2 x segments x (rings - 1) triangles (the poles' rows are single triangles).
 */
export function uvSphere(radius = 1, segments = 32, rings = 16): TriangleMesh {
  const positions: number[] = [];
  for (let r = 0; r <= rings; r++) {
    const theta = (r / rings) * Math.PI;
    for (let s = 0; s <= segments; s++) {
      const phi = (s / segments) * 2 * Math.PI;
      positions.push(
        radius * Math.sin(theta) * Math.cos(phi),
        radius * Math.cos(theta),
        radius * Math.sin(theta) * Math.sin(phi),
      );
    }
  }
  const indices: number[] = [];
  const row = segments + 1;
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * row + s;
      const b = a + row;
      // Counter-clockwise seen from outside (glTF's front faces).
      if (r !== 0) indices.push(a, a + 1, b);
      if (r !== rings - 1) indices.push(a + 1, b + 1, b);
    }
  }
  return { positions: new Float32Array(positions), indices: new Uint32Array(indices) };
}

/**
 * A closed box of `extents` (x, y, z) centred on `centre`: 8 corners, 12 triangles wound
 * counter-clockwise seen from outside. A part of known size, for the printing formats' own size.
 */
export function box(
  extents: [number, number, number],
  centre: [number, number, number] = [0, 0, 0],
): TriangleMesh {
  const positions: number[] = [];
  for (let corner = 0; corner < 8; corner++) {
    for (let axis = 0; axis < 3; axis++) {
      const high = (corner >> axis) & 1;
      positions.push(centre[axis] + (high ? 0.5 : -0.5) * extents[axis]);
    }
  }
  // Corner index bits: x = 1, y = 2, z = 4. Two triangles per face, outward.
  const faces = [
    [0, 2, 3, 1], // z-
    [4, 5, 7, 6], // z+
    [0, 1, 5, 4], // y-
    [2, 6, 7, 3], // y+
    [0, 4, 6, 2], // x-
    [1, 3, 7, 5], // x+
  ];
  const indices = faces.flatMap(([a, b, c, d]) => [a, b, c, a, c, d]);
  return { positions: new Float32Array(positions), indices: new Uint32Array(indices) };
}

/** Triangles of a mesh. */
export const triangleCount = (mesh: TriangleMesh): number => mesh.indices.length / 3;

/** Axis-aligned bounds of a mesh's vertices, after `transform` (scale, then translation). */
export function meshBounds(
  mesh: TriangleMesh,
  transform: { scale?: number; translation?: [number, number, number] } = {},
): { min: number[]; max: number[] } {
  const scale = transform.scale ?? 1;
  const t = transform.translation ?? [0, 0, 0];
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < mesh.positions.length; i += 3) {
    for (let axis = 0; axis < 3; axis++) {
      const value = mesh.positions[i + axis] * scale + t[axis];
      min[axis] = Math.min(min[axis], value);
      max[axis] = Math.max(max[axis], value);
    }
  }
  return { min, max };
}

/**
 * The mesh as a plain GLB (POSITION + uint32 indices), under one node with an optional uniform
 * `scale` and `translation`; `mode` 0 writes the vertices as POINTS (a point cloud).
 */
export async function meshGlb(
  mesh: TriangleMesh,
  options: { scale?: number; translation?: [number, number, number]; points?: boolean } = {},
): Promise<Buffer> {
  const document = new Document();
  const buffer = document.createBuffer();
  const position = document.createAccessor().setType('VEC3').setArray(mesh.positions).setBuffer(buffer);
  const primitive = document.createPrimitive().setAttribute('POSITION', position);
  if (options.points) {
    primitive.setMode(0);
  } else {
    primitive.setIndices(
      document.createAccessor().setType('SCALAR').setArray(mesh.indices).setBuffer(buffer),
    );
  }
  const node = document.createNode('mesh').setMesh(document.createMesh('mesh').addPrimitive(primitive));
  if (options.scale !== undefined) node.setScale([options.scale, options.scale, options.scale]);
  if (options.translation !== undefined) node.setTranslation(options.translation);
  document.createScene('scene').addChild(node);
  return Buffer.from(await new NodeIO().writeBinary(document));
}

/** The mesh as Wavefront OBJ text (1-based `f` records). */
export function meshObj(mesh: TriangleMesh): Buffer {
  const lines = ['# Kiln3D test mesh'];
  for (let i = 0; i < mesh.positions.length; i += 3) {
    lines.push(`v ${mesh.positions[i]} ${mesh.positions[i + 1]} ${mesh.positions[i + 2]}`);
  }
  for (let i = 0; i < mesh.indices.length; i += 3) {
    lines.push(`f ${mesh.indices[i] + 1} ${mesh.indices[i + 1] + 1} ${mesh.indices[i + 2] + 1}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

/** The mesh as ASCII PLY; with `faces: false`, its vertices only (a point cloud). */
export function meshPly(mesh: TriangleMesh, options: { faces?: boolean } = {}): Buffer {
  const faces = options.faces !== false;
  const vertices = mesh.positions.length / 3;
  const lines = [
    'ply',
    'format ascii 1.0',
    `element vertex ${vertices}`,
    'property float x',
    'property float y',
    'property float z',
  ];
  if (faces) lines.push(`element face ${triangleCount(mesh)}`, 'property list uchar int vertex_indices');
  lines.push('end_header');
  for (let i = 0; i < mesh.positions.length; i += 3) {
    lines.push(`${mesh.positions[i]} ${mesh.positions[i + 1]} ${mesh.positions[i + 2]}`);
  }
  if (faces) {
    for (let i = 0; i < mesh.indices.length; i += 3) {
      lines.push(`3 ${mesh.indices[i]} ${mesh.indices[i + 1]} ${mesh.indices[i + 2]}`);
    }
  }
  return Buffer.from(lines.join('\n') + '\n');
}

/** A GLB's JSON chunk replaced by `edit(json)` (re-padded), its binary chunk kept. */
export function editGlbJson(glb: Buffer, edit: (json: Record<string, unknown>) => void): Buffer {
  const jsonLength = glb.readUInt32LE(12);
  const json = JSON.parse(glb.subarray(20, 20 + jsonLength).toString('utf8')) as Record<string, unknown>;
  edit(json);
  let text = Buffer.from(JSON.stringify(json), 'utf8');
  const padding = (4 - (text.length % 4)) % 4;
  text = Buffer.concat([text, Buffer.alloc(padding, 0x20)]);
  const rest = glb.subarray(20 + jsonLength);
  const header = Buffer.alloc(20);
  header.write('glTF', 0, 'latin1');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(20 + text.length + rest.length, 8);
  header.writeUInt32LE(text.length, 12);
  header.write('JSON', 16, 'latin1');
  return Buffer.concat([header, text, rest]);
}
