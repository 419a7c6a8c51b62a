import {
  Color,
  NeutralToneMapping,
  PerspectiveCamera,
  SRGBColorSpace,
  Scene,
  Timer,
  WebGLRenderer,
} from 'three';

import { ContextLossWatch, ContextState, markTexturesForUpload } from './context-loss';

/** The viewer's backdrop colour. */
export const VIEWER_BACKGROUND = '#e8ebf0';

/** A frame callback; returns true while it needs more frames (damping, auto-rotation). */
export type FrameCallback = (deltaSeconds: number) => boolean;

/** Told when the WebGL context goes, stays away, or comes back (restores: how many times so far). */
export type ContextCallback = (state: ContextState, restores: number) => void;

/**
 * Owns the WebGL renderer, scene and camera for one canvas. Renders on demand: a frame is drawn
 * only when something asked for it, and more follow only while a callback says it is moving.
 * Survives a lost WebGL context: no frames while it is gone; when it is back, what lived only on
 * the GPU is rebuilt (onContextRestore), textures are marked for upload, and the scene is drawn
 * again with the camera where it was, without fetching anything.
 */
export class RendererHost {
  readonly renderer: WebGLRenderer;
  readonly scene = new Scene();
  readonly camera = new PerspectiveCamera(45, 1, 0.01, 1000);
  private readonly frameCallbacks: FrameCallback[] = [];
  private readonly resizeCallbacks: (() => void)[] = [];
  private readonly rebuildCallbacks: (() => void)[] = [];
  private readonly contextCallbacks: ContextCallback[] = [];
  private readonly contextWatch: ContextLossWatch;
  private readonly resizeObserver: ResizeObserver;
  private readonly timer = new Timer();
  private frameId = 0;
  private disposed = false;
  /** CSS px at the canvas's bottom that an overlay covers (setBottomInset). */
  private bottomInset = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly container: HTMLElement,
  ) {
    this.renderer = new WebGLRenderer({ canvas, antialias: true, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.toneMapping = NeutralToneMapping;
    this.scene.background = new Color(VIEWER_BACKGROUND);
    this.contextWatch = new ContextLossWatch(canvas, {
      stop: () => this.cancelFrame(),
      rebuild: () => {
        for (const callback of this.rebuildCallbacks) callback();
        markTexturesForUpload(this.scene);
      },
      redraw: () => {
        // At once, so the canvas holds the model again when the page is told; then the loop
        // picks up whatever was moving (damping, auto-rotation).
        this.renderNow();
        this.requestRender();
      },
      changed: (state, restores) => {
        for (const callback of this.contextCallbacks) callback(state, restores);
      },
    });
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  /** The aspect of the part of the canvas the camera frames: above the bottom inset. */
  get aspect(): number {
    return this.camera.aspect;
  }

  /**
   * Frames the camera into the canvas less its bottom `px` CSS pixels (an overlay's band, e.g. the
   * viewer's caption), drawing the whole canvas still: the camera's aspect is that part's, and a
   * view offset (PerspectiveCamera.setViewOffset) extends the image down over the band, so what
   * the camera fits lies above it. 0 frames the whole canvas. The caller places the camera after.
   */
  setBottomInset(px: number): void {
    this.bottomInset = Math.max(0, px);
    this.applySize();
    this.requestRender();
  }

  /** Called before each frame is drawn; returning true asks for the next frame too. */
  onFrame(callback: FrameCallback): void {
    this.frameCallbacks.push(callback);
  }

  /** Called after the canvas took its container's new size. */
  onResize(callback: () => void): void {
    this.resizeCallbacks.push(callback);
  }

  /** Called after a lost context came back, before the redraw: rebuild what lived only on the GPU. */
  onContextRestore(callback: () => void): void {
    this.rebuildCallbacks.push(callback);
  }

  /** Called when the context is lost, when it stays away long, and once it is back and drawn again. */
  onContextChange(callback: ContextCallback): void {
    this.contextCallbacks.push(callback);
  }

  /** Whether the WebGL context is gone now (nothing can be drawn until it is restored). */
  get contextLost(): boolean {
    return this.contextWatch.lost;
  }

  requestRender = (): void => {
    // While the context is lost a frame draws nothing; the restore redraws.
    if (this.disposed || this.frameId !== 0 || this.contextWatch.lost) return;
    this.frameId = requestAnimationFrame(this.frame);
  };

  /** Draws now, for callers that need the pixels this task (tests, exports). */
  renderNow(): void {
    if (!this.disposed && !this.contextWatch.lost) this.renderer.render(this.scene, this.camera);
  }

  dispose(): void {
    this.disposed = true;
    this.cancelFrame();
    this.contextWatch.dispose();
    this.resizeObserver.disconnect();
    this.renderer.dispose();
  }

  private cancelFrame(): void {
    if (this.frameId !== 0) cancelAnimationFrame(this.frameId);
    this.frameId = 0;
  }

  private readonly frame = (time: number): void => {
    this.frameId = 0;
    this.timer.update(time);
    const delta = Math.min(this.timer.getDelta(), 0.1);
    let moving = false;
    for (const callback of this.frameCallbacks) moving = callback(delta) || moving;
    this.renderer.render(this.scene, this.camera);
    if (moving) this.requestRender();
  };

  private resize(): void {
    this.applySize();
    for (const callback of this.resizeCallbacks) callback();
    this.requestRender();
  }

  /** The canvas at its container's size, the camera framing all of it above the bottom inset. */
  private applySize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    // Never less than half the canvas: a short landscape phone still gets a framed model.
    const framed = Math.max(height / 2, height - this.bottomInset);
    this.camera.aspect = width / framed;
    if (framed < height) this.camera.setViewOffset(width, framed, 0, 0, width, height);
    else this.camera.clearViewOffset();
    this.camera.updateProjectionMatrix();
  }
}
