import {
  DirectionalLight,
  HemisphereLight,
  PMREMGenerator,
  Scene,
  WebGLRenderTarget,
  WebGLRenderer,
} from 'three';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';

/** Bakes an environment map on the GPU; returns the render target that holds it. */
export type EnvironmentBake = () => WebGLRenderTarget;

/**
 * The scene's image-based light. It lives only on the GPU (a PMREM render target, never in
 * memory), so a lost WebGL context takes it away for good: after `webglcontextrestored` three
 * gives the target a fresh, empty texture and the model turns black unless it is baked again
 * (three.js #26829, google/model-viewer #1447). `rebuild()` does that.
 */
export class SceneEnvironment {
  private target: WebGLRenderTarget | undefined;

  constructor(
    private readonly scene: Scene,
    private readonly bake: EnvironmentBake,
  ) {
    this.rebuild();
  }

  /** Bakes the map again and lights the scene with it; the old target is freed first. */
  rebuild(): void {
    this.release();
    const target = this.bake();
    this.target = target;
    this.scene.environment = target.texture;
  }

  /** Takes the light out of the scene and frees it. */
  dispose(): void {
    this.release();
  }

  private release(): void {
    const target = this.target;
    if (!target) return;
    if (this.scene.environment === target.texture) this.scene.environment = null;
    target.dispose();
    this.target = undefined;
  }
}

/** Studio-like light made on the GPU from three's RoomEnvironment: nothing to download. */
export function roomEnvironmentBake(renderer: WebGLRenderer): EnvironmentBake {
  return () => {
    const pmrem = new PMREMGenerator(renderer);
    const room = new RoomEnvironment();
    try {
      return pmrem.fromScene(room, 0.04);
    } finally {
      room.dispose();
      pmrem.dispose();
    }
  };
}

/**
 * Plain lights for the frames drawn before the environment map is made (issue 21: the first
 * frame does not wait for PMREMGenerator, seconds of work on a CPU renderer), and for good on a
 * software renderer (model-viewer.ts): a sky/ground hemisphere and a key light from the default
 * view's side. Returns their removal.
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
