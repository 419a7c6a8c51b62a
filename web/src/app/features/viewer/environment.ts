import { DirectionalLight, HemisphereLight, PMREMGenerator, Scene, Texture, WebGLRenderer } from 'three';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';

/** Studio-like image-based light made on the GPU from three's RoomEnvironment: nothing to download. */
export function applyRoomEnvironment(renderer: WebGLRenderer, scene: Scene): () => void {
  const pmrem = new PMREMGenerator(renderer);
  const room = new RoomEnvironment();
  const target = pmrem.fromScene(room, 0.04);
  const texture: Texture = target.texture;
  scene.environment = texture;
  room.dispose();
  pmrem.dispose();
  return () => {
    if (scene.environment === texture) scene.environment = null;
    target.dispose();
  };
}

/**
 * Plain lights for the frames drawn before the environment map is made (issue 21: the first
 * frame does not wait for PMREMGenerator, about a second of shader work on a CPU renderer): a
 * sky/ground hemisphere and a key light from the default view's side. Returns their removal.
 */
export function addStandInLights(scene: Scene): () => void {
  const sky = new HemisphereLight(0xffffff, 0x8d8d8d, 2.5);
  const key = new DirectionalLight(0xffffff, 1.5);
  key.position.set(1, 2, 3);
  scene.add(sky, key);
  return () => {
    scene.remove(sky, key);
    sky.dispose();
    key.dispose();
  };
}
