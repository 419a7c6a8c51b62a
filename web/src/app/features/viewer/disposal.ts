import { Color, Material, Mesh, Object3D, Texture } from 'three';

/** The lines' colour in wireframe: one dark grey, whatever the texture, so the change is seen. */
const WIRE_COLOUR = 0x8894a8;

/** What wireframe set aside of a material (its texture and colour), kept to put back. */
interface SolidLook {
  map: Texture | null;
  color: Color | undefined;
}

type Paintable = Material & { wireframe: boolean; map?: Texture | null; color?: Color };

const solidLookOf = (material: Material): SolidLook | undefined =>
  material.userData['kilnSolidLook'] as SolidLook | undefined;

/** Frees a material and the textures it holds (also one wireframe set aside). */
export function disposeMaterial(material: Material): void {
  const setAside = solidLookOf(material)?.map;
  for (const value of [...(Object.values(material) as unknown[]), setAside]) {
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

/**
 * Shows every material of the model as wireframe, or solid again. The lines are drawn in one dark
 * grey without the texture: a textured model of many small triangles drawn as lines in its own
 * colours looks just as solid at a normal distance, and the button seemed to do nothing.
 */
export function setWireframe(root: Object3D, wireframe: boolean): void {
  root.traverse((node) => {
    const material = (node as Partial<Mesh>).material;
    for (const item of Array.isArray(material) ? material : material ? [material] : []) {
      if (!('wireframe' in item)) continue;
      const paintable = item as Paintable;
      const setAside = solidLookOf(item);
      if (wireframe && !setAside) {
        item.userData['kilnSolidLook'] = { map: paintable.map ?? null, color: paintable.color?.clone() };
        if (paintable.map !== undefined) paintable.map = null;
        paintable.color?.setHex(WIRE_COLOUR);
        item.needsUpdate = true; // the shader changes with the map
      } else if (!wireframe && setAside) {
        if (paintable.map !== undefined) paintable.map = setAside.map;
        if (setAside.color) paintable.color?.copy(setAside.color);
        delete item.userData['kilnSolidLook'];
        item.needsUpdate = true;
      }
      paintable.wireframe = wireframe;
    }
  });
}
