import { Color, Material, Mesh, Object3D, Scene, Texture } from 'three';

/** The WebGL context: there, gone for now, or gone for longer than a restore takes (stalled). */
export type ContextState = 'live' | 'lost' | 'stalled';

/** How long a lost context may take to come back before the page offers a reload. */
export const CONTEXT_STALL_MS = 10_000;

/** What a viewer does when the browser takes its WebGL context away and when it gives it back. */
export interface ContextLossSteps {
  /** The context is gone: stop asking for frames (each would draw nothing). */
  stop(): void;
  /** A new context: make again what lived only on the GPU (environment map, render targets). */
  rebuild(): void;
  /** Draw the scene again, as it was. */
  redraw(): void;
  /** Tell the page: live, lost or stalled, and how many times the view has come back. */
  changed(state: ContextState, restores: number): void;
}

/**
 * Watches a canvas for `webglcontextlost` / `webglcontextrestored` (iOS switching tabs, memory
 * pressure, a GPU reset). The loss is `preventDefault`ed, without which the browser never gives
 * the context back; the restore rebuilds and redraws in that order, so the page is told it is
 * back only once the model is on the canvas again. A context not back after `stallMs` is
 * reported as stalled (a browser may refuse to restore one, after too many losses): only then
 * is a reload worth offering.
 */
export class ContextLossWatch {
  private lostNow = false;
  private restoreCount = 0;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly steps: ContextLossSteps,
    private readonly stallMs = CONTEXT_STALL_MS,
  ) {
    canvas.addEventListener('webglcontextlost', this.onLost);
    canvas.addEventListener('webglcontextrestored', this.onRestored);
  }

  /** Whether the context is gone now (no frame can be drawn). */
  get lost(): boolean {
    return this.lostNow;
  }

  /** How many times the context came back since the canvas was made. */
  get restores(): number {
    return this.restoreCount;
  }

  dispose(): void {
    clearTimeout(this.stallTimer);
    this.canvas.removeEventListener('webglcontextlost', this.onLost);
    this.canvas.removeEventListener('webglcontextrestored', this.onRestored);
  }

  private readonly onLost = (event: Event): void => {
    // Without this the context is gone for good (three's own listener does it too: belt and braces).
    event.preventDefault();
    if (this.lostNow) return;
    this.lostNow = true;
    this.steps.stop();
    this.steps.changed('lost', this.restoreCount);
    this.stallTimer = setTimeout(() => {
      if (this.lostNow) this.steps.changed('stalled', this.restoreCount);
    }, this.stallMs);
  };

  private readonly onRestored = (): void => {
    if (!this.lostNow) return;
    clearTimeout(this.stallTimer);
    this.lostNow = false;
    this.steps.rebuild();
    this.steps.redraw();
    this.restoreCount++;
    this.steps.changed('live', this.restoreCount);
  };
}

/** The textures a material holds (map, normalMap, ...), whatever their slot is called. */
function texturesOf(material: Material): Texture[] {
  return Object.values(material).filter((value): value is Texture => value instanceof Texture);
}

/**
 * Marks every texture under `root` (materials, and the scene's background) to be uploaded again,
 * returning how many. After a restore three's fresh state would upload them anyway; marking them
 * says so rather than relying on it, and costs nothing more (each is uploaded once, at its next
 * draw). Textures without pixels in memory are left alone: render targets' (rebuilt by their
 * owner, SceneEnvironment for the light) and those whose image is gone.
 */
export function markTexturesForUpload(root: Object3D): number {
  const textures = new Set<Texture>();
  const add = (texture: Texture | Color | null): void => {
    if (!(texture instanceof Texture) || texture.isRenderTargetTexture) return;
    const image: unknown = texture.image;
    if (image === null || image === undefined) return;
    textures.add(texture);
  };
  if (root instanceof Scene) add(root.background);
  root.traverse((node) => {
    const material = (node as Partial<Mesh>).material;
    for (const item of Array.isArray(material) ? material : material ? [material] : []) {
      texturesOf(item).forEach(add);
    }
  });
  for (const texture of textures) texture.needsUpdate = true;
  return textures.size;
}
