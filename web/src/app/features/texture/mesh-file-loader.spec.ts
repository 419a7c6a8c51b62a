import { Mesh, MeshStandardMaterial, Object3D } from 'three';

import { TETRA_INDICES, TETRA_POSITIONS, tinyGlb } from '../../../testing/tiny-glb';
import { UNPAINTED_GREY, type MeshParse, parseMeshFile } from './mesh-file-loader';

const TETRA_OBJ = [
  'v 0 0 0',
  'v 1 0 0',
  'v 0 1 0',
  'v 0 0 1',
  'f 1 3 2',
  'f 1 2 4',
  'f 1 4 3',
  'f 2 3 4',
].join('\n');

function ply(faces: boolean): string {
  return [
    'ply',
    'format ascii 1.0',
    'element vertex 3',
    'property float x',
    'property float y',
    'property float z',
    ...(faces ? ['element face 1', 'property list uchar int vertex_indices'] : []),
    'end_header',
    '0 0 0',
    '1 0 0',
    '0 1 0',
    ...(faces ? ['3 0 1 2'] : []),
    '',
  ].join('\n');
}

function meshes(root: Object3D): Mesh[] {
  const found: Mesh[] = [];
  root.traverse((node) => {
    if (node instanceof Mesh) found.push(node as Mesh);
  });
  return found;
}

function parsed(result: MeshParse): Extract<MeshParse, { ok: true }>['mesh'] {
  if (!result.ok) throw new Error(`not parsed: ${JSON.stringify(result)}`);
  return result.mesh;
}

describe('parseMeshFile', () => {
  afterEach(() => vi.restoreAllMocks());

  it('draws a GLB, an OBJ and a PLY in one grey, counting their triangles', async () => {
    const glb = parsed(await parseMeshFile(new Blob([tinyGlb(TETRA_POSITIONS, TETRA_INDICES)]), 'glb'));
    const obj = parsed(await parseMeshFile(new Blob([TETRA_OBJ]), 'obj'));
    const plyMesh = parsed(await parseMeshFile(new Blob([ply(true)]), 'ply'));
    expect([glb.triangles, obj.triangles, plyMesh.triangles]).toEqual([4, 4, 1]);
    for (const mesh of [glb, obj, plyMesh]) {
      const [first] = meshes(mesh.object);
      expect(first?.material).toBeInstanceOf(MeshStandardMaterial);
      expect((first?.material as MeshStandardMaterial).color.getHex()).toBe(UNPAINTED_GREY);
      // Lit shading needs normals, which none of these files had.
      expect(first?.geometry.getAttribute('normal')).toBeDefined();
      mesh.dispose();
    }
  });

  it("refuses what the server would refuse after parsing: no faces, or a vertex that isn't finite", async () => {
    const lines = await parseMeshFile(new Blob(['v 0 0 0\nv 1 0 0\nl 1 2\n']), 'obj');
    expect(lines).toEqual({ ok: false, error: { status: 422, code: 'mesh_no_faces', error: '' } });
    const cloud = await parseMeshFile(new Blob([ply(false)]), 'ply');
    expect(cloud).toEqual({ ok: false, error: { status: 422, code: 'mesh_no_faces', error: '' } });
    // Triangles that all have zero area (a trial's file: the page said "1 triangle", the server refused it).
    const flat = await parseMeshFile(new Blob(['v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\nf 1 1 2\n']), 'obj');
    expect(flat).toEqual({ ok: false, error: { status: 422, code: 'mesh_no_faces', error: '' } });
    const broken = await parseMeshFile(new Blob(['v 0 0 0\nv 1 0 0\nv 0 nan 0\nf 1 2 3\n']), 'obj');
    expect(broken).toEqual({ ok: false, error: { status: 422, code: 'mesh_not_finite', error: '' } });
  });

  it("refuses more triangles than the server's TEXTURE_MAX_FACES, with both counts", async () => {
    const tetra = () => new Blob([tinyGlb(TETRA_POSITIONS, TETRA_INDICES)]);
    expect(await parseMeshFile(tetra(), 'glb', 3)).toEqual({ ok: false, tooManyFaces: { faces: 4, max: 3 } });
    const atTheLimit = parsed(await parseMeshFile(tetra(), 'glb', 4));
    expect(atTheLimit.triangles).toBe(4);
    atTheLimit.dispose();
  });

  it("says so when the browser's loader cannot read the file", async () => {
    // OBJLoader only warns about lines it does not know: text without one vertex is no OBJ.
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const garbage = await parseMeshFile(new Blob(['this is not an OBJ at all\n']), 'obj');
    expect(garbage.ok).toBe(false);
    expect(garbage).toHaveProperty('unreadable');
    // A GLB header over a JSON chunk that is not JSON.
    const glb = tinyGlb(TETRA_POSITIONS, TETRA_INDICES);
    glb.fill(0x7b, 20, 30);
    const broken = await parseMeshFile(new Blob([glb]), 'glb');
    expect(broken).toHaveProperty('unreadable');
  });
});
