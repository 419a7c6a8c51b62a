import { PMREMGenerator, Scene, Texture, WebGLRenderer } from 'three';
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
