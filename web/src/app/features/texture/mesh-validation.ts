import type { ApiError } from '../../core/api/api-types';

/** The mesh formats POST /api/texture accepts. */
export type MeshKind = 'glb' | 'obj' | 'ply';

/** The file extensions a mesh may have (checked here before any upload; the server judges by content). */
export const MESH_EXTENSIONS: readonly MeshKind[] = ['glb', 'obj', 'ply'];

/** What the file picker offers. */
export const MESH_ACCEPT = '.glb,.obj,.ply,model/gltf-binary,model/obj,application/vnd.ply';

/** GLB extensions whose geometry the server does not decode (it answers 422 mesh_compressed). */
const COMPRESSION_EXTENSIONS = [
  'KHR_draco_mesh_compression',
  'EXT_meshopt_compression',
  'KHR_meshopt_compression',
];

const GLB_MAGIC = 0x46546c67; // 'glTF' little-endian
const GLB_JSON_CHUNK = 0x4e4f534a; // 'JSON' little-endian
/** Bytes read to tell the format: the GLB header and its first chunk's header, or PLY's first line. */
const HEAD_BYTES = 64;

/** The browser-side verdict on a mesh file: its kind, or the error the server would answer. */
export type MeshCheck = { ok: true; kind: MeshKind } | { ok: false; error: ApiError };

const refuse = (status: number, code: ApiError['code']): MeshCheck => ({
  ok: false,
  error: { status, code, error: '' },
});

/** The file name's extension, lower case, when it is one of the mesh formats. */
export function meshExtension(name: string | undefined): MeshKind | undefined {
  const match = /\.([^./\\]+)$/.exec(name?.trim() ?? '');
  const extension = match?.[1]?.toLowerCase();
  return MESH_EXTENSIONS.find((kind) => kind === extension);
}

/**
 * The mesh's kind from its first bytes, as the server judges it: a GLB by its magic, a PLY by its
 * `ply` line; anything else is an OBJ only when the name says so and the head is text (no NUL).
 */
export function sniffMeshKind(head: Uint8Array, extension: MeshKind): MeshKind | undefined {
  if (head.length >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === GLB_MAGIC)
    return 'glb';
  const text = new TextDecoder('latin1').decode(head.subarray(0, 4));
  if (text === 'ply\n' || text === 'ply\r') return 'ply';
  if (extension === 'obj' && !head.includes(0)) return 'obj';
  return undefined;
}

/**
 * Whether a GLB's JSON chunk declares mesh compression (Draco, meshopt), which the server refuses;
 * false when the chunk cannot be read (the loader then says whether the file is readable at all).
 */
export function declaresCompression(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  const record = json as Record<string, unknown>;
  return ['extensionsUsed', 'extensionsRequired'].some((field) => {
    const list = record[field];
    return Array.isArray(list) && list.some((name) => COMPRESSION_EXTENSIONS.includes(String(name)));
  });
}

/** The file's bytes from `start` to `end` (all of it by default). */
export async function readBlob(file: Blob, start = 0, end = file.size): Promise<Uint8Array> {
  const slice = file.slice(start, end);
  if (typeof slice.arrayBuffer === 'function') return new Uint8Array(await slice.arrayBuffer());
  // Older engines (and some test DOMs) lack Blob.arrayBuffer.
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsArrayBuffer(slice);
  });
}

/** A GLB's JSON chunk, parsed; undefined when it is not there or not JSON. */
async function readGlbJson(file: Blob, head: Uint8Array): Promise<unknown> {
  if (head.length < 20) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const length = view.getUint32(12, true);
  if (view.getUint32(16, true) !== GLB_JSON_CHUNK || length === 0 || 20 + length > file.size)
    return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(await readBlob(file, 20, 20 + length)));
  } catch {
    return undefined;
  }
}

/**
 * The server's own refusals of a mesh, judged before sending: the name's extension (400
 * unsupported_mesh), the size over MAX_MESH_MB (413 mesh_too_large), the content (400
 * unsupported_mesh), a compressed GLB (422 mesh_compressed). What only parsing can tell (no faces,
 * non-finite vertices, unreadable) is the loader's verdict (mesh-file-loader.ts).
 */
export async function checkMeshFile(file: Blob & { name?: string }, maxMeshMb: number): Promise<MeshCheck> {
  const extension = meshExtension(file.name);
  if (extension === undefined) return refuse(400, 'unsupported_mesh');
  if (file.size > maxMeshMb * 1024 * 1024) return refuse(413, 'mesh_too_large');
  const head = await readBlob(file, 0, HEAD_BYTES);
  const kind = sniffMeshKind(head, extension);
  if (kind === undefined) return refuse(400, 'unsupported_mesh');
  if (kind === 'glb' && declaresCompression(await readGlbJson(file, head)))
    return refuse(422, 'mesh_compressed');
  return { ok: true, kind };
}
