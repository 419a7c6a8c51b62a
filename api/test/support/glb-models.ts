import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import { Document, NodeIO, Primitive, type Texture, getBounds } from '@gltf-transform/core';
import sharp from 'sharp';
import { createGlbIO } from '../../src/glb/glb-optimize';
import { REPO_ROOT } from './env';

export interface GridModelOptions {
  /** Cells per side: 2 x cells² triangles. */
  cells: number;
  /** Side of the base-colour texture in pixels (a PNG). */
  textureSize: number;
  /** Raw bytes to use as the PNG instead of a real image (a broken texture). */
  textureBytes?: Uint8Array;
}

/**
 * A textured, indexed height-field grid (a TRELLIS-like dense mesh when `cells` is large),
 * written as a plain GLB: positions, normals, UVs, uint32 indices, one PNG texture.
 */
export async function texturedGridGlb(options: GridModelOptions): Promise<Uint8Array> {
  const { cells } = options;
  const side = cells + 1;
  const positions = new Float32Array(side * side * 3);
  const normals = new Float32Array(side * side * 3);
  const uvs = new Float32Array(side * side * 2);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = y * side + x;
      const u = x / cells;
      const v = y / cells;
      positions.set([u - 0.5, 0.1 * Math.sin(u * 12) * Math.cos(v * 9), v - 0.5], i * 3);
      normals.set([0, 1, 0], i * 3);
      uvs.set([u, v], i * 2);
    }
  }
  const indices = new Uint32Array(cells * cells * 6);
  let k = 0;
  for (let y = 0; y < cells; y++) {
    for (let x = 0; x < cells; x++) {
      const a = y * side + x;
      indices.set([a, a + side, a + 1, a + 1, a + side, a + side + 1], k);
      k += 6;
    }
  }
  const document = new Document();
  const buffer = document.createBuffer();
  const texture: Texture = document
    .createTexture('baseColor')
    .setMimeType('image/png')
    .setImage(options.textureBytes ?? (await noisePng(options.textureSize)));
  const material = document.createMaterial('surface').setBaseColorTexture(texture);
  const primitive = document
    .createPrimitive()
    .setAttribute('POSITION', document.createAccessor().setType('VEC3').setArray(positions).setBuffer(buffer))
    .setAttribute('NORMAL', document.createAccessor().setType('VEC3').setArray(normals).setBuffer(buffer))
    .setAttribute('TEXCOORD_0', document.createAccessor().setType('VEC2').setArray(uvs).setBuffer(buffer))
    .setIndices(document.createAccessor().setType('SCALAR').setArray(indices).setBuffer(buffer))
    .setMaterial(material);
  const mesh = document.createMesh('grid').addPrimitive(primitive);
  document.createScene('scene').addChild(document.createNode('grid').setMesh(mesh));
  return new NodeIO().writeBinary(document);
}

/** A colourful PNG that does not compress to nothing (smooth gradients plus noise). */
async function noisePng(size: number): Promise<Uint8Array> {
  const pixels = Buffer.alloc(size * size * 3);
  let seed = 12345;
  for (let i = 0; i < size * size; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const x = i % size;
    const y = Math.floor(i / size);
    pixels[i * 3] = (x * 255) / size;
    pixels[i * 3 + 1] = (y * 255) / size;
    pixels[i * 3 + 2] = seed & 0x3f;
  }
  return new Uint8Array(
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

const run = promisify(execFile);

/**
 * A GLB from the real inflate engine (the sidecar's own code, run by its venv Python) for one
 * picture: the geometry and texture the CPU engine ships.
 */
export async function inflateGlb(imagePath: string, outputPath: string): Promise<void> {
  const inference = join(REPO_ROOT, 'inference');
  const script = [
    'import sys',
    'from PIL import Image',
    'from kiln3d_inference.engines.relief import inflate_image',
    'result = inflate_image(Image.open(sys.argv[1]))',
    'open(sys.argv[2], "wb").write(result.glb)',
  ].join('\n');
  await run(join(inference, '.venv', 'bin', 'python'), ['-c', script, imagePath, outputPath], {
    cwd: inference,
    timeout: 120_000,
  });
}

export interface GlbSummary {
  extensionsUsed: string[];
  extensionsRequired: string[];
  meshes: number;
  primitives: number;
  triangles: number;
  /** World-space bounds of the default scene. */
  min: number[];
  max: number[];
  textures: { mimeType: string; width: number; height: number; decodedFormat: string }[];
  /** The meshopt filters its buffer views name (EXT_meshopt_compression `filter`: OCTAHEDRAL…), each once. */
  meshoptFilters: string[];
}

/** The JSON chunk of a GLB, as written (what a browser's loader sees first). */
export function glbJson(bytes: Uint8Array): Record<string, unknown> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  return JSON.parse(Buffer.from(bytes.subarray(20, 20 + length)).toString('utf8')) as Record<string, unknown>;
}

/**
 * Reads a GLB back with every extension and the meshopt decoder registered, and counts what a
 * viewer would draw; each texture is decoded by sharp (its real format, not the declared one).
 */
export async function summariseGlb(bytes: Uint8Array): Promise<GlbSummary> {
  const json = glbJson(bytes);
  const document = await (await createGlbIO()).readBinary(bytes);
  const root = document.getRoot();
  let primitives = 0;
  let triangles = 0;
  for (const mesh of root.listMeshes()) {
    for (const primitive of mesh.listPrimitives()) {
      primitives++;
      if (primitive.getMode() !== Primitive.Mode.TRIANGLES) continue;
      const indices = primitive.getIndices();
      triangles += (indices ? indices.getCount() : (primitive.getAttribute('POSITION')?.getCount() ?? 0)) / 3;
    }
  }
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  const { min, max } = getBounds(scene);
  const textures = [];
  for (const texture of root.listTextures()) {
    const image = texture.getImage();
    const metadata = image ? await sharp(image).metadata() : undefined;
    textures.push({
      mimeType: texture.getMimeType(),
      width: metadata?.width ?? 0,
      height: metadata?.height ?? 0,
      decodedFormat: metadata?.format ?? 'none',
    });
  }
  return {
    extensionsUsed: (json['extensionsUsed'] as string[] | undefined) ?? [],
    extensionsRequired: (json['extensionsRequired'] as string[] | undefined) ?? [],
    meshes: root.listMeshes().length,
    primitives,
    triangles,
    min: [...min],
    max: [...max],
    textures,
    meshoptFilters: meshoptFilters(json),
  };
}

/** The distinct EXT_meshopt_compression `filter` values of a GLB's buffer views ('NONE' left out). */
function meshoptFilters(json: Record<string, unknown>): string[] {
  const views =
    (json['bufferViews'] as { extensions?: Record<string, { filter?: string }> }[] | undefined) ?? [];
  const filters = views.map((view) => view.extensions?.['EXT_meshopt_compression']?.filter ?? 'NONE');
  return [...new Set(filters)].filter((filter) => filter !== 'NONE').sort();
}

/** A valid PNG of 20000² px in 48 KB: glTF-Validator accepts it, sharp refuses it (over its pixel limit). */
export function pixelBombPng(side = 20_000): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // bit depth 1
  header[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc((Math.ceil(side / 8) + 1) * side), { level: 9 });
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
      pngChunk('IHDR', header),
      pngChunk('IDAT', rows),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
