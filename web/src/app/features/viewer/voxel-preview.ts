/**
 * Voxel previews (GET /api/tasks/{id}/preview, docs/design.md): decoding the packed coordinates and
 * colouring each voxel from the uploaded picture. No three.js here (voxel-mesh.ts draws them).
 *
 * The voxels lie on an n³ grid over the model's unit cube, in the model's axes (x right, y up, z
 * towards the viewer); voxel (x, y, z) fills [x/n - 0.5, (x+1)/n - 0.5] and likewise in y and z.
 */

/** A decoded preview: `count` (x, y, z) triplets on a `resolution`³ grid. */
export interface VoxelGrid {
  resolution: number;
  count: number;
  coords: Uint16Array;
}

/** Axis `axis` (0 x, 1 y, 2 z) of voxel `i`. */
export function voxelAxis(grid: VoxelGrid, i: number, axis: 0 | 1 | 2): number {
  return grid.coords[i * 3 + axis] ?? 0;
}

/** The voxel limit the server keeps to (engines/preview.py MAX_PREVIEW_VOXELS). */
export const MAX_PREVIEW_VOXELS = 32_768;

/**
 * The body of a preview response and its headers (X-Preview-Resolution, X-Preview-Encoding) as a
 * grid. Throws on anything that is not a well-formed preview (wrong length, a coordinate off the
 * grid, too many voxels), so a bad answer never reaches the GPU.
 */
export function decodeVoxels(body: ArrayBuffer, resolution: number, encoding: string): VoxelGrid {
  if (!Number.isInteger(resolution) || resolution < 1 || resolution > 65_535) {
    throw new Error(`bad preview resolution ${resolution}`);
  }
  const bytesPerAxis = encoding === 'xyz8' ? 1 : encoding === 'xyz16le' ? 2 : 0;
  if (bytesPerAxis === 0) throw new Error(`unknown preview encoding ${encoding}`);
  if (body.byteLength % (3 * bytesPerAxis) !== 0) throw new Error('preview length is not whole triplets');
  const count = body.byteLength / (3 * bytesPerAxis);
  if (count > MAX_PREVIEW_VOXELS) throw new Error(`preview of ${count} voxels is over the limit`);
  const coords = new Uint16Array(count * 3);
  const view = new DataView(body);
  for (let i = 0; i < coords.length; i++) {
    const value = bytesPerAxis === 1 ? view.getUint8(i) : view.getUint16(i * 2, true);
    if (value >= resolution) throw new Error(`voxel coordinate ${value} off the ${resolution}³ grid`);
    coords[i] = value;
  }
  return { resolution, count, coords };
}

/** RGBA pixels of the uploaded picture, row by row from the top (ImageData's layout). */
export interface PictureData {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** A box of pixels: left, top inclusive; right, bottom exclusive. */
export interface PixelBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * Where the object lies in the picture: the pixels the alpha channel keeps when it has any
 * transparency, else those that differ from the corners' colour. The engines frame the model on
 * that same object, so this box is what the model's front view covers. The whole picture when
 * nothing stands out.
 */
export function objectBox(picture: PictureData): PixelBox {
  const { width, height } = picture;
  const data = (i: number): number => picture.data[i] ?? 0;
  let transparent = false;
  for (let i = 3; i < picture.data.length; i += 4) {
    if (data(i) < 250) {
      transparent = true;
      break;
    }
  }
  const corners = [0, width - 1, (height - 1) * width, height * width - 1].map((p) => p * 4);
  const [r0, g0, b0] = [0, 1, 2].map(
    (c) => corners.reduce((sum, p) => sum + data(p + c), 0) / corners.length,
  );
  let left = width;
  let top = height;
  let right = 0;
  let bottom = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inside = transparent
        ? data(i + 3) > 127
        : Math.max(
            Math.abs(data(i) - (r0 ?? 0)),
            Math.abs(data(i + 1) - (g0 ?? 0)),
            Math.abs(data(i + 2) - (b0 ?? 0)),
          ) > 40;
      if (!inside) continue;
      left = Math.min(left, x);
      top = Math.min(top, y);
      right = Math.max(right, x + 1);
      bottom = Math.max(bottom, y + 1);
    }
  }
  return right > left && bottom > top
    ? { left, top, right, bottom }
    : { left: 0, top: 0, right: width, bottom: height };
}

/** Neutral clay for voxels with no picture (a page reloaded mid-task). */
export const CLAY_RGB: readonly [number, number, number] = [0.78, 0.72, 0.66];

/**
 * sRGB colours (0-1, three per voxel): each voxel is projected straight
 * onto the front view (x right, y up), the voxels' own x/y extent stretched over the object's box in
 * the picture, and takes the nearest pixel's colour. A transparent pixel (the outline's edge) gives
 * way to clay. Without a picture every voxel is clay.
 */
export function voxelColours(grid: VoxelGrid, picture: PictureData | undefined): Float32Array {
  const colours = new Float32Array(grid.count * 3);
  if (!picture || grid.count === 0) {
    for (let i = 0; i < grid.count; i++) colours.set(CLAY_RGB, i * 3);
    return colours;
  }
  const box = objectBox(picture);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < grid.count; i++) {
    const x = voxelAxis(grid, i, 0);
    const y = voxelAxis(grid, i, 1);
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const spanX = maxX - minX + 1;
  const spanY = maxY - minY + 1;
  const boxW = box.right - box.left;
  const boxH = box.bottom - box.top;
  for (let i = 0; i < grid.count; i++) {
    const u = (voxelAxis(grid, i, 0) - minX + 0.5) / spanX;
    const v = (maxY - voxelAxis(grid, i, 1) + 0.5) / spanY; // y up in the grid, down in the picture
    const px = Math.min(picture.width - 1, box.left + Math.floor(u * boxW));
    const py = Math.min(picture.height - 1, box.top + Math.floor(v * boxH));
    const p = (py * picture.width + px) * 4;
    const pixel = (c: number): number => picture.data[p + c] ?? 0;
    if (pixel(3) < 128) colours.set(CLAY_RGB, i * 3);
    else colours.set([pixel(0) / 255, pixel(1) / 255, pixel(2) / 255], i * 3);
  }
  return colours;
}
