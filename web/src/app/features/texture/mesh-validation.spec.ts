import { TETRA_INDICES, TETRA_POSITIONS, tinyGlb } from '../../../testing/tiny-glb';
import { checkMeshFile, declaresCompression, meshExtension, sniffMeshKind } from './mesh-validation';

const MB = 1024 * 1024;
const bytes = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(new TextEncoder().encode(text));
const file = (content: BlobPart, name: string): File => new File([content], name);

describe('meshExtension', () => {
  it('takes .glb, .obj and .ply in any case, and nothing else', () => {
    expect(meshExtension('Chair.GLB')).toBe('glb');
    expect(meshExtension('a.b.obj')).toBe('obj');
    expect(meshExtension('scan.ply ')).toBe('ply');
    expect(meshExtension('model.stl')).toBeUndefined();
    expect(meshExtension('glb')).toBeUndefined();
    expect(meshExtension(undefined)).toBeUndefined();
  });
});

describe('sniffMeshKind', () => {
  it('judges by content: GLB magic, a ply line, text only for .obj', () => {
    expect(sniffMeshKind(tinyGlb(TETRA_POSITIONS, TETRA_INDICES).subarray(0, 64), 'obj')).toBe('glb');
    expect(sniffMeshKind(bytes('ply\nformat ascii 1.0\n'), 'glb')).toBe('ply');
    expect(sniffMeshKind(bytes('v 0 0 0\nv 1 0 0\n'), 'obj')).toBe('obj');
    // Text named .glb or .ply is neither.
    expect(sniffMeshKind(bytes('v 0 0 0\n'), 'glb')).toBeUndefined();
    // A binary file named .obj (a PNG here) is no OBJ.
    expect(sniffMeshKind(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]), 'obj')).toBeUndefined();
  });
});

describe('declaresCompression', () => {
  it('finds Draco or meshopt among the extensions used or required', () => {
    expect(declaresCompression({ extensionsUsed: ['KHR_draco_mesh_compression'] })).toBe(true);
    expect(declaresCompression({ extensionsRequired: ['EXT_meshopt_compression'] })).toBe(true);
    expect(declaresCompression({ extensionsUsed: ['KHR_materials_unlit'] })).toBe(false);
    expect(declaresCompression(null)).toBe(false);
  });
});

describe('checkMeshFile', () => {
  it("refuses another extension with the server's code before reading anything", async () => {
    const check = await checkMeshFile(file(bytes('solid x'), 'part.stl'), 50);
    expect(check).toEqual({ ok: false, error: { status: 400, code: 'unsupported_mesh', error: '' } });
  });

  it('refuses a file over MAX_MESH_MB as the server would (413 mesh_too_large)', async () => {
    const big = { name: 'big.glb', size: 50 * MB + 1, slice: () => new Blob() } as unknown as File;
    expect(await checkMeshFile(big, 50)).toEqual({
      ok: false,
      error: { status: 413, code: 'mesh_too_large', error: '' },
    });
    // Exactly at the limit is within it.
    const atLimit = 'v 0 0 0\n'.repeat(MB / 8);
    expect(await checkMeshFile(file(atLimit, 'edge.obj'), 1)).toEqual({ ok: true, kind: 'obj' });
    expect(await checkMeshFile(file(`${atLimit}#`, 'edge.obj'), 1)).toMatchObject({
      error: { status: 413, code: 'mesh_too_large' },
    });
  });

  it('takes a GLB, OBJ or PLY by its content, whatever its extension among the three', async () => {
    const glb = tinyGlb(TETRA_POSITIONS, TETRA_INDICES);
    expect(await checkMeshFile(file(glb, 'tetra.glb'), 50)).toEqual({ ok: true, kind: 'glb' });
    expect(await checkMeshFile(file(glb, 'tetra.ply'), 50)).toEqual({ ok: true, kind: 'glb' });
    expect(await checkMeshFile(file('v 0 0 0\nf 1 1 1\n', 'a.obj'), 50)).toEqual({ ok: true, kind: 'obj' });
    expect(await checkMeshFile(file('ply\nformat ascii 1.0\nend_header\n', 'a.ply'), 50)).toEqual({
      ok: true,
      kind: 'ply',
    });
    expect(await checkMeshFile(file('not a mesh', 'a.glb'), 50)).toMatchObject({
      ok: false,
      error: { status: 400, code: 'unsupported_mesh' },
    });
  });

  it('refuses a compressed GLB (422 mesh_compressed)', async () => {
    const draco = tinyGlb(TETRA_POSITIONS, TETRA_INDICES, ['KHR_draco_mesh_compression']);
    expect(await checkMeshFile(file(draco, 'draco.glb'), 50)).toEqual({
      ok: false,
      error: { status: 422, code: 'mesh_compressed', error: '' },
    });
  });
});
