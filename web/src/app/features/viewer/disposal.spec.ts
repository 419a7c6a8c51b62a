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

  it('switches wireframe on every material, in one grey without the texture, and puts both back', () => {
    const texture = new Texture();
    const material = new MeshStandardMaterial({ map: texture, color: 0xff8800 });
    const root = new Group().add(new Mesh(new BoxGeometry(), [material, new MeshStandardMaterial()]));
    setWireframe(root, true);
    expect(material.wireframe).toBe(true);
    expect(material.map).toBeNull();
    expect(material.color.getHex()).toBe(0x8894a8);
    setWireframe(root, true); // twice: what was set aside stays the solid look
    setWireframe(root, false);
    expect(material.wireframe).toBe(false);
    expect(material.map).toBe(texture);
    expect(material.color.getHex()).toBe(0xff8800);
  });

  it('a model disposed while in wireframe still frees the texture set aside', () => {
    const texture = new Texture();
    const root = new Group().add(new Mesh(new BoxGeometry(), new MeshStandardMaterial({ map: texture })));
    setWireframe(root, true);
    let freed = false;
    texture.addEventListener('dispose', () => (freed = true));
    disposeObject(root);
    expect(freed).toBe(true);
  });
});
