import { Material, Mesh, Object3D, Texture } from 'three';

/** Frees a material and the textures it holds. */
export function disposeMaterial(material: Material): void {
  for (const value of Object.values(material)) {
    if (value instanceof Texture) {
      value.dispose();
      // GLTFLoader decodes into ImageBitmaps, which hold memory until closed (phones notice).
      const image: unknown = value.image;
      if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) image.close();
    }
  }
  material.dispose();
}

/** Frees the GPU side of everything under `root`: geometries, materials and their textures. */
export function disposeObject(root: Object3D): void {
  root.traverse((node) => {
    const mesh = node as Partial<Mesh>;
    mesh.geometry?.dispose();
    const material = mesh.material;
    if (Array.isArray(material)) material.forEach(disposeMaterial);
    else if (material) disposeMaterial(material);
  });
  root.removeFromParent();
}

/** Shows every material of the model as wireframe, or solid again. */
export function setWireframe(root: Object3D, wireframe: boolean): void {
  root.traverse((node) => {
    const material = (node as Partial<Mesh>).material;
    for (const item of Array.isArray(material) ? material : material ? [material] : []) {
      if ('wireframe' in item) {
        (item as Material & { wireframe: boolean }).wireframe = wireframe;
      }
    }
  });
}
