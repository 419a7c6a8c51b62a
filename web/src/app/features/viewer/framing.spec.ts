import {
  BoxGeometry,
  Group,
  MathUtils,
  Mesh,
  MeshBasicMaterial,
  OctahedronGeometry,
  PerspectiveCamera,
  Vector3,
} from 'three';

import { Box3 } from 'three';

import {
  FRAME_MARGIN,
  boundsMatch,
  computeFraming,
  fitDistance,
  keptFraming,
  modelBounds,
  placeCamera,
} from './framing';

function box(size: [number, number, number], position: [number, number, number]): Group {
  const group = new Group();
  const mesh = new Mesh(new BoxGeometry(...size), new MeshBasicMaterial());
  mesh.position.set(...position);
  group.add(mesh);
  return group;
}

describe('fitDistance', () => {
  it('is radius x FRAME_MARGIN / sin(fov / 2) for a landscape view', () => {
    expect(fitDistance(2, 45, 16 / 9)).toBeCloseTo(
      (2 * FRAME_MARGIN) / Math.sin(MathUtils.degToRad(22.5)),
      10,
    );
  });

  it("leaves a margin: the sphere's projection stays inside the view, never touching its edge", () => {
    // The sphere seen from its distance fills an angle asin(r / d) on each side of the centre.
    const distance = fitDistance(1, 45, 4 / 3);
    expect(Math.asin(1 / distance)).toBeLessThan(MathUtils.degToRad(22.5) * 0.97);
  });

  it('uses the narrower horizontal field of view in portrait', () => {
    const aspect = 390 / 844;
    const halfHorizontal = Math.atan(Math.tan(MathUtils.degToRad(22.5)) * aspect);
    expect(fitDistance(1, 45, aspect)).toBeCloseTo(FRAME_MARGIN / Math.sin(halfHorizontal), 10);
    expect(fitDistance(1, 45, aspect)).toBeGreaterThan(fitDistance(1, 45, 1));
  });
});

describe('computeFraming', () => {
  it('centres on the bounding box and sizes to its sphere, wherever the model is', () => {
    const framing = computeFraming(box([2, 4, 6], [100, -50, 7]), 45, 1);
    expect(framing.center.toArray()).toEqual([100, -50, 7]);
    expect(framing.radius).toBeCloseTo(Math.sqrt(1 + 4 + 9), 10);
    expect(framing.distance).toBeCloseTo(
      (framing.radius * FRAME_MARGIN) / Math.sin(MathUtils.degToRad(22.5)),
      10,
    );
    expect(framing.near).toBeGreaterThan(0);
    expect(framing.near).toBeLessThan(framing.distance - framing.radius);
    expect(framing.far).toBeGreaterThan(framing.distance + framing.radius);
  });

  it('scales with the model: a 1000x larger model is framed 1000x farther', () => {
    const small = computeFraming(box([0.01, 0.02, 0.01], [0, 0, 0]), 45, 1.5);
    const large = computeFraming(box([10, 20, 10], [0, 0, 0]), 45, 1.5);
    // Float32 vertex positions limit the precision.
    expect(large.distance / small.distance).toBeCloseTo(1000, 3);
  });

  it('uses the farthest vertex, not the box corner, for rounded shapes', () => {
    const group = new Group();
    const mesh = new Mesh(new OctahedronGeometry(2), new MeshBasicMaterial());
    mesh.position.set(-3, 4, 10);
    mesh.scale.setScalar(10);
    group.add(mesh);
    const framing = computeFraming(group, 45, 1);
    // The octahedron's tips are 20 from its centre; its box's corner would be 20 * sqrt(3).
    expect(framing.radius).toBeCloseTo(20, 5);
    expect(framing.center.toArray()).toEqual([-3, 4, 10]);
  });

  it('survives an empty model', () => {
    const framing = computeFraming(new Group(), 45, 1);
    expect(framing.radius).toBe(1);
    expect(Number.isFinite(framing.distance)).toBe(true);
  });

  it('puts the whole sphere inside the view after placing the camera', () => {
    const model = box([3, 1, 2], [5, 5, 5]);
    const framing = computeFraming(model, 45, 390 / 844);
    model.position.sub(framing.center);
    const camera = new PerspectiveCamera(45, 390 / 844);
    placeCamera(camera, framing);
    camera.updateMatrixWorld();
    expect(camera.position.length()).toBeCloseTo(framing.distance, 8);
    // Every corner of the centred box projects inside normalised device coordinates.
    for (const x of [-1.5, 1.5]) {
      for (const y of [-0.5, 0.5]) {
        for (const z of [-1, 1]) {
          const ndc = new Vector3(x, y, z).project(camera);
          expect(Math.abs(ndc.x)).toBeLessThanOrEqual(1);
          expect(Math.abs(ndc.y)).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe('boundsMatch', () => {
  const boxOf = (min: [number, number, number], max: [number, number, number]): Box3 =>
    new Box3(new Vector3(...min), new Vector3(...max));

  it('matches a painted copy of a mesh (same place, quantised), not another model', () => {
    const mesh = modelBounds(box([2, 1, 1], [5, 0, 0]));
    // The web GLB quantises positions: a few ten-thousandths of the size off.
    const painted = modelBounds(box([2.0004, 1, 0.9998], [5.0001, 0, 0]));
    expect(boundsMatch(mesh, painted)).toBe(true);
    // The same shape elsewhere, or larger, is another model: framed afresh.
    expect(boundsMatch(mesh, modelBounds(box([2, 1, 1], [6, 0, 0])))).toBe(false);
    expect(boundsMatch(mesh, modelBounds(box([2.4, 1, 1], [5, 0, 0])))).toBe(false);
  });

  it('never matches an empty or degenerate box', () => {
    expect(boundsMatch(new Box3(), new Box3())).toBe(false);
    expect(boundsMatch(boxOf([1, 1, 1], [1, 1, 1]), boxOf([1, 1, 1], [1, 1, 1]))).toBe(false);
  });
});

describe('keptFraming', () => {
  const mesh = box([2, 1, 1], [5, 0, 0]);
  const meshFraming = computeFraming(mesh, 45, 4 / 3);
  const shownMesh = { box: modelBounds(mesh), framing: meshFraming };

  it("keeps the grey mesh's camera for its painted copy, and frames another model afresh", () => {
    const painted = modelBounds(box([2.001, 1, 1], [5, 0, 0]));
    expect(keptFraming({ model: shownMesh, preview: undefined }, painted)).toBe(meshFraming);
    const other = modelBounds(box([1, 1, 1], [0, 0, 0]));
    expect(keptFraming({ model: shownMesh, preview: undefined }, other)).toBeUndefined();
    expect(keptFraming({ model: undefined, preview: undefined }, painted)).toBeUndefined();
  });

  it("keeps the voxel preview's camera, on which the view was framed last", () => {
    const voxels = computeFraming(box([1, 1, 1], [0, 0, 0]), 45, 4 / 3);
    const painted = modelBounds(box([2, 1, 1], [5, 0, 0]));
    expect(keptFraming({ model: shownMesh, preview: voxels }, painted)).toBe(voxels);
    expect(keptFraming({ model: undefined, preview: voxels }, painted)).toBe(voxels);
  });
});
