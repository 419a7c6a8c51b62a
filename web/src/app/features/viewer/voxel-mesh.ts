import {
  BoxGeometry,
  Color,
  InstancedMesh,
  Matrix4,
  MeshLambertMaterial,
  SRGBColorSpace,
  Vector3,
} from 'three';

import { Framing, framingFor } from './framing';
import { PictureData, VoxelGrid, voxelAxis, voxelColours } from './voxel-preview';

/** Each cube a little smaller than its cell, so the grid reads as voxels, not as one lump. */
const CUBE_FILL = 0.9;

/**
 * The preview as one InstancedMesh of cubes (one draw call whatever the count), in the model's
 * coordinates (the unit cube the finished model fills), coloured from the picture (voxelColours).
 * Dispose with disposeObject (geometry and material) like any model.
 */
export function buildVoxelMesh(grid: VoxelGrid, picture: PictureData | undefined): InstancedMesh {
  const cell = 1 / grid.resolution;
  const geometry = new BoxGeometry(cell * CUBE_FILL, cell * CUBE_FILL, cell * CUBE_FILL);
  // Lambert: the cheapest lit shader (it compiles fast even on software GL); voxels need no PBR.
  const material = new MeshLambertMaterial();
  const mesh = new InstancedMesh(geometry, material, grid.count);
  mesh.name = 'kiln-voxel-preview';
  const colours = voxelColours(grid, picture);
  const matrix = new Matrix4();
  const colour = new Color();
  for (let i = 0; i < grid.count; i++) {
    matrix.makeTranslation(
      new Vector3(
        (voxelAxis(grid, i, 0) + 0.5) * cell - 0.5,
        (voxelAxis(grid, i, 1) + 0.5) * cell - 0.5,
        (voxelAxis(grid, i, 2) + 0.5) * cell - 0.5,
      ),
    );
    mesh.setMatrixAt(i, matrix);
    const [r, g, b] = colours.subarray(i * 3, i * 3 + 3);
    mesh.setColorAt(i, colour.setRGB(r ?? 0, g ?? 0, b ?? 0, SRGBColorSpace));
  }
  mesh.instanceMatrix.needsUpdate = true;
  if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
  mesh.computeBoundingBox();
  mesh.computeBoundingSphere();
  return mesh;
}

/**
 * Framing of the voxels as computeFraming frames a model: centre of their box, radius to the
 * farthest cube corner (the model's vertices lie within its voxels, so the finished model then
 * fits the same view).
 */
export function voxelFraming(grid: VoxelGrid, verticalFovDeg: number, aspect: number): Framing {
  const cell = 1 / grid.resolution;
  const min = new Vector3(Infinity, Infinity, Infinity);
  const max = new Vector3(-Infinity, -Infinity, -Infinity);
  const point = new Vector3();
  for (let i = 0; i < grid.count; i++) {
    point.set(voxelAxis(grid, i, 0), voxelAxis(grid, i, 1), voxelAxis(grid, i, 2));
    min.min(point);
    max.max(point);
  }
  if (grid.count === 0) return framingFor(new Vector3(), 0.5, verticalFovDeg, aspect);
  const center = min
    .clone()
    .add(max)
    .addScalar(1)
    .multiplyScalar(cell / 2)
    .subScalar(0.5);
  let farthest = 0;
  for (let i = 0; i < grid.count; i++) {
    point
      .set(voxelAxis(grid, i, 0) + 0.5, voxelAxis(grid, i, 1) + 0.5, voxelAxis(grid, i, 2) + 0.5)
      .multiplyScalar(cell)
      .subScalar(0.5);
    farthest = Math.max(farthest, point.distanceTo(center));
  }
  return framingFor(center, farthest + (cell * Math.sqrt(3)) / 2, verticalFovDeg, aspect);
}

/** The picture's pixels, at most `maxSide` a side (plenty for one colour per voxel); undefined when it cannot be decoded. */
export async function readPicture(blob: Blob, maxSide = 256): Promise<PictureData | undefined> {
  try {
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) {
      bitmap.close();
      return undefined;
    }
    context.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const image = context.getImageData(0, 0, width, height);
    return { width, height, data: image.data };
  } catch {
    return undefined;
  }
}
