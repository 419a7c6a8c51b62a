/**
 * What a downloaded STL, 3MF or USDZ says of its size, read here (not by the formats tool that wrote
 * it): a binary STL's vertices, a 3MF's unit and vertices (its zip read with node:zlib), a USDZ
 * stage's metersPerUnit and extent (Pixar's usd-core, the sidecar's venv Python).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { REPO_ROOT, tempDir } from './env';

const run = promisify(execFile);

/** An axis-aligned box: the lowest and highest corner (x, y, z). */
export interface Bounds {
  min: [number, number, number];
  max: [number, number, number];
}

function boundsOf(points: Iterable<[number, number, number]>): Bounds {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const point of points) {
    for (let axis = 0; axis < 3; axis++) {
      min[axis] = Math.min(min[axis], point[axis]);
      max[axis] = Math.max(max[axis], point[axis]);
    }
  }
  return { min, max };
}

/** The sides of a box (x, y, z). */
export const extentOf = (bounds: Bounds): number[] => bounds.max.map((high, axis) => high - bounds.min[axis]);

/** The vertices' bounds of a binary STL (80-byte header, triangle count, 50 bytes per triangle). */
export function stlBounds(stl: Buffer): Bounds {
  const triangles = stl.readUInt32LE(80);
  function* corners(): Generator<[number, number, number]> {
    for (let t = 0; t < triangles; t++) {
      const at = 84 + 50 * t + 12; // after the facet normal
      for (let c = 0; c < 3; c++) {
        const o = at + 12 * c;
        yield [stl.readFloatLE(o), stl.readFloatLE(o + 4), stl.readFloatLE(o + 8)];
      }
    }
  }
  return boundsOf(corners());
}

const ZIP64 = 0xffffffff;

/**
 * One file of a zip archive (stored or deflated), found through its central directory; sizes and
 * offsets from its Zip64 extra field where the 32-bit ones say 0xFFFFFFFF (lib3mf writes Zip64).
 */
export function zipEntry(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('no zip end of central directory');
  let entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if (at === ZIP64) {
    // The Zip64 end of central directory record holds the 64-bit count and offset.
    const end64 = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]), end);
    if (end64 < 0) throw new Error('no Zip64 end of central directory');
    entries = Number(zip.readBigUInt64LE(end64 + 32));
    at = Number(zip.readBigUInt64LE(end64 + 48));
  }
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(at + 10);
    let compressed = zip.readUInt32LE(at + 20);
    const uncompressed = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let local = zip.readUInt32LE(at + 42);
    const entryName = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    // Zip64 extra (id 1): the 64-bit uncompressed size, compressed size, offset, each only if its field is full.
    for (let x = at + 46 + nameLength; x < at + 46 + nameLength + extraLength;) {
      const id = zip.readUInt16LE(x);
      const size = zip.readUInt16LE(x + 2);
      if (id === 1) {
        let field = x + 4;
        if (uncompressed === ZIP64) field += 8;
        if (compressed === ZIP64) {
          compressed = Number(zip.readBigUInt64LE(field));
          field += 8;
        }
        if (local === ZIP64) local = Number(zip.readBigUInt64LE(field));
      }
      x += 4 + size;
    }
    if (entryName === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip entry ${name}: compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`no ${name} in the zip`);
}

/** A 3MF's model unit (its <model unit="…">) and its vertices' bounds (3D/3dmodel.model). */
export function threeMfFacts(file: Buffer): { unit: string; bounds: Bounds } {
  const xml = zipEntry(file, '3D/3dmodel.model').toString('utf8');
  const unit = /<model\b[^>]*\bunit="([^"]+)"/.exec(xml)?.[1] ?? 'millimeter';
  function* vertices(): Generator<[number, number, number]> {
    for (const match of xml.matchAll(/<vertex\b([^>]*)\/>/g)) {
      const attribute = (axis: string): number =>
        Number(new RegExp(`\\b${axis}="([^"]+)"`).exec(match[1])?.[1]);
      yield [attribute('x'), attribute('y'), attribute('z')];
    }
  }
  return { unit, bounds: boundsOf(vertices()) };
}

/** A USDZ's stage metersPerUnit and its default prim's extent (x, y, z, in its own units), by usd-core. */
export async function usdzFacts(file: Buffer): Promise<{ metersPerUnit: number; extent: number[] }> {
  const dir = tempDir('usdz-facts');
  try {
    const path = join(dir.path, 'model.usdz');
    await writeFile(path, file);
    const inference = join(REPO_ROOT, 'inference');
    const script = [
      'import json, sys',
      'from pxr import Usd, UsdGeom',
      'stage = Usd.Stage.Open(sys.argv[1])',
      'cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])',
      'box = cache.ComputeWorldBound(stage.GetDefaultPrim()).ComputeAlignedRange()',
      'extent = [hi - lo for lo, hi in zip(box.GetMin(), box.GetMax())]',
      'print(json.dumps({"metersPerUnit": UsdGeom.GetStageMetersPerUnit(stage), "extent": extent}))',
    ].join('\n');
    const { stdout } = await run(join(inference, '.venv', 'bin', 'python'), ['-c', script, path], {
      cwd: inference,
      timeout: 120_000,
    });
    return JSON.parse(stdout) as { metersPerUnit: number; extent: number[] };
  } finally {
    dir.remove();
  }
}
