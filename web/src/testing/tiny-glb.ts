/**
 * Test-only: a GLB of one triangle mesh (POSITION and indices, no material), made by hand so a
 * spec needs no glTF library. `extensionsUsed` is written as given (a compressed GLB's marker).
 */
export function tinyGlb(
  positions: readonly number[],
  indices: readonly number[],
  extensionsUsed: readonly string[] = [],
): Uint8Array<ArrayBuffer> {
  const positionBytes = new Float32Array(positions);
  const indexBytes = new Uint16Array(indices);
  const indexOffset = positionBytes.byteLength;
  const binLength = pad4(indexOffset + indexBytes.byteLength);
  const bin = new Uint8Array(binLength);
  bin.set(new Uint8Array(positionBytes.buffer), 0);
  bin.set(new Uint8Array(indexBytes.buffer), indexOffset);
  const min = [0, 1, 2].map((axis) => Math.min(...positions.filter((_, i) => i % 3 === axis)));
  const max = [0, 1, 2].map((axis) => Math.max(...positions.filter((_, i) => i % 3 === axis)));
  const gltf = {
    asset: { version: '2.0' },
    ...(extensionsUsed.length > 0 ? { extensionsUsed: [...extensionsUsed] } : {}),
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1 }] }],
    buffers: [{ byteLength: binLength }],
    bufferViews: [
      { buffer: 0, byteOffset: 0, byteLength: positionBytes.byteLength },
      { buffer: 0, byteOffset: indexOffset, byteLength: indexBytes.byteLength },
    ],
    accessors: [
      { bufferView: 0, componentType: 5126, count: positions.length / 3, type: 'VEC3', min, max },
      { bufferView: 1, componentType: 5123, count: indices.length, type: 'SCALAR' },
    ],
  };
  const jsonText = new TextEncoder().encode(JSON.stringify(gltf));
  const json = new Uint8Array(pad4(jsonText.length)).fill(0x20);
  json.set(jsonText);
  const total = 12 + 8 + json.length + 8 + bin.length;
  const glb = new Uint8Array(total);
  const view = new DataView(glb.buffer);
  view.setUint32(0, 0x46546c67, true); // glTF
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, 0x4e4f534a, true); // JSON
  glb.set(json, 20);
  view.setUint32(20 + json.length, bin.length, true);
  view.setUint32(24 + json.length, 0x004e4942, true); // BIN
  glb.set(bin, 28 + json.length);
  return glb;
}

function pad4(length: number): number {
  return Math.ceil(length / 4) * 4;
}

/** A tetrahedron: 4 triangles over the unit corner. */
export const TETRA_POSITIONS = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
/** The tetrahedron's faces. */
export const TETRA_INDICES = [0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3];
