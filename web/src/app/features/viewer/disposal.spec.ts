import { BoxGeometry, Group, Mesh, MeshStandardMaterial, Texture } from 'three';

import { disposeObject, setWireframe } from './disposal';

describe('disposal', () => {
  it('disposes every geometry, material and texture under the root and detaches it', () => {
    const root = new Group();
    const parent = new Group().add(root);
    const texture = new Texture();
    const geometry = new BoxGeometry();
    const materials = [new MeshStandardMaterial({ map: texture }), new MeshStandardMaterial()];
    root.add(new Mesh(geometry, materials));
    const disposed: string[] = [];
    geometry.addEventListener('dispose', () => disposed.push('geometry'));
    texture.addEventListener('dispose', () => disposed.push('texture'));
    materials.forEach((m, i) => m.addEventListener('dispose', () => disposed.push(`material${i}`)));
    disposeObject(root);
    expect(disposed.sort()).toEqual(['geometry', 'material0', 'material1', 'texture']);
    expect(parent.children).toEqual([]);
  });

  it('switches wireframe on every material', () => {
    const material = new MeshStandardMaterial();
    const root = new Group().add(new Mesh(new BoxGeometry(), [material, new MeshStandardMaterial()]));
    setWireframe(root, true);
    expect(material.wireframe).toBe(true);
    setWireframe(root, false);
    expect(material.wireframe).toBe(false);
  });
});
