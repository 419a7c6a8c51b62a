import {
  Color,
  NeutralToneMapping,
  PerspectiveCamera,
  SRGBColorSpace,
  Scene,
  Timer,
  WebGLRenderer,
} from 'three';

/** The viewer's backdrop colour. */
export const VIEWER_BACKGROUND = '#e8ebf0';

/** A frame callback; returns true while it needs more frames (damping, auto-rotation). */
export type FrameCallback = (deltaSeconds: number) => boolean;

/**
 * Owns the WebGL renderer, scene and camera for one canvas. Renders on demand: a frame is drawn
 * only when something asked for it, and more follow only while a callback says it is moving.
 */
export class RendererHost {
  readonly renderer: WebGLRenderer;
  readonly scene = new Scene();
  readonly camera = new PerspectiveCamera(45, 1, 0.01, 1000);
  private readonly frameCallbacks: FrameCallback[] = [];
  private readonly resizeCallbacks: (() => void)[] = [];
  private readonly resizeObserver: ResizeObserver;
  private readonly timer = new Timer();
  private frameId = 0;
  private disposed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly container: HTMLElement,
  ) {
    this.renderer = new WebGLRenderer({ canvas, antialias: true, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.toneMapping = NeutralToneMapping;
    this.scene.background = new Color(VIEWER_BACKGROUND);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  get aspect(): number {
    return this.camera.aspect;
  }

  onFrame(callback: FrameCallback): void {
    this.frameCallbacks.push(callback);
  }

  onResize(callback: () => void): void {
    this.resizeCallbacks.push(callback);
  }

  requestRender = (): void => {
    if (this.disposed || this.frameId !== 0) return;
    this.frameId = requestAnimationFrame(this.frame);
  };

  /** Draws now, for callers that need the pixels this task (tests, exports). */
  renderNow(): void {
    if (!this.disposed) this.renderer.render(this.scene, this.camera);
  }

  dispose(): void {
    this.disposed = true;
    if (this.frameId !== 0) cancelAnimationFrame(this.frameId);
    this.resizeObserver.disconnect();
    this.renderer.dispose();
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
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    for (const callback of this.resizeCallbacks) callback();
    this.requestRender();
  }
}
