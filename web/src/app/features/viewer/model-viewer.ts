import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { Group, InstancedMesh, Object3D } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

import { describeError } from '../../core/api/error-messages';
import { modelDownloadPath, waitForDownload } from '../../core/api/model-formats';
import { modelIdFromUrl } from '../../core/api/model-url';
import type { TaskPreview } from '../../core/events/task-state';
import { I18n } from '../../core/i18n/i18n';
import { ArMode, detectArMode, openQuickLook, readPlatformHints, sceneViewerIntent } from './ar';
import { createOrbitControls, fitControls } from './controls';
import { disposeObject, setWireframe } from './disposal';
import { DownloadMenu } from './download-menu';
import { applyRoomEnvironment } from './environment';
import { Framing, computeFraming, fitDistance, placeCamera } from './framing';
import { ModelLoadError, loadModel } from './model-loader';
import { RendererHost, VIEWER_BACKGROUND } from './renderer-host';
import { buildVoxelMesh, readPicture, voxelFraming } from './voxel-mesh';
import { PictureData, decodeVoxels } from './voxel-preview';

/**
 * What the viewer shows: the voxel preview while the model is made, loading, the model, an
 * error, or that WebGL is missing.
 */
export type ViewerState = 'preview' | 'loading' | 'ready' | 'error' | 'no-webgl';

/** Emitted once a model is shown: its file's Last-Modified and size in bytes. */
export interface ModelLoadedInfo {
  lastModified: Date | undefined;
  bytes: number;
}

/** The three.js viewer: load, frame, orbit, and the toolbar (reset, rotate, wireframe, download, share, AR). */
@Component({
  selector: 'kiln-model-viewer',
  templateUrl: './model-viewer.html',
  styleUrl: './model-viewer.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DownloadMenu],
  host: { '[attr.data-state]': 'state()' },
})
export class ModelViewer {
  /** The GLB to show (same-origin path, /static/{uuid}.glb); none yet while previewing. */
  readonly src = input<string | undefined>(undefined);
  /** The latest voxel preview of the task being made: drawn until `src` arrives. */
  readonly preview = input<TaskPreview | undefined>(undefined);
  /** The uploaded picture, which colours the preview's voxels (clay without it). */
  readonly picture = input<Blob | undefined>(undefined);
  /** The original GLB, for Scene Viewer on Android; the viewed one when absent. */
  readonly downloadUrl = input<string | undefined>(undefined);
  /** Path of the share page (/m/{uuid}); no share button when absent. */
  readonly sharePath = input<string | undefined>(undefined);
  readonly modelTitle = input('Kiln3D model');
  readonly loaded = output<ModelLoadedInfo>();
  readonly loadFailed = output<number>();

  protected readonly i18n = inject(I18n);
  protected readonly state = signal<ViewerState>('loading');
  protected readonly autoRotate = signal(false);
  protected readonly wireframe = signal(false);
  protected readonly shareNote = signal<string | undefined>(undefined);
  protected readonly arBusy = signal(false);
  protected readonly arMode = signal<ArMode>('none');
  /** The model's id, from `src` (/static/{id}.glb): what the downloads and Quick Look ask for. */
  protected readonly modelId = computed(() => modelIdFromUrl(this.src() ?? ''));
  /** The server's USDZ once ready after a wait: a link to tap, should Safari not open it by itself. */
  protected readonly arLink = signal<string | undefined>(undefined);
  protected readonly background = VIEWER_BACKGROUND;

  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  private readonly stage = viewChild.required<ElementRef<HTMLElement>>('stage');
  private readonly hostReady = signal(false);
  private host: RendererHost | undefined;
  private controls: OrbitControls | undefined;
  private disposeEnvironment: (() => void) | undefined;
  private model: Object3D | undefined;
  private voxels: InstancedMesh | undefined;
  private shownPreviewRev = 0;
  private previewAbort: AbortController | undefined;
  private pictureData: { blob: Blob; data: Promise<PictureData | undefined> } | undefined;
  private framing: Framing | undefined;
  private userMoved = false;
  private loadAbort: AbortController | undefined;
  private shareNoteTimer: ReturnType<typeof setTimeout> | undefined;
  private arWait: AbortController | undefined;

  constructor() {
    afterNextRender(() => this.startRenderer());
    effect(() => {
      const src = this.src();
      if (src !== undefined && this.hostReady()) untracked(() => void this.load(src));
    });
    effect(() => {
      const preview = this.preview();
      if (preview !== undefined && this.hostReady()) untracked(() => void this.showPreview(preview));
    });
    inject(DestroyRef).onDestroy(() => this.teardown());
  }

  protected resetView(): void {
    if (!this.host || !this.framing || !this.controls) return;
    this.userMoved = false;
    this.controls.reset();
    this.frame(this.framing);
    this.controls.update();
    this.host.requestRender();
  }

  protected toggleAutoRotate(): void {
    this.autoRotate.update((on) => !on);
    if (this.controls) this.controls.autoRotate = this.autoRotate();
    this.host?.requestRender();
  }

  protected toggleWireframe(): void {
    this.wireframe.update((on) => !on);
    if (this.model) setWireframe(this.model, this.wireframe());
    this.host?.requestRender();
  }

  protected async copyShareLink(): Promise<void> {
    const path = this.sharePath();
    if (!path) return;
    const url = new URL(path, location.origin).toString();
    try {
      await navigator.clipboard.writeText(url);
      this.showShareNote(this.i18n.t('viewer.copied'));
    } catch {
      // No clipboard permission (or plain http): show the link to copy by hand.
      this.showShareNote(this.i18n.t('viewer.copyFailed', { url }), 20_000);
    }
  }

  protected async openAr(): Promise<void> {
    const mode = this.arMode();
    if (mode === 'scene-viewer') {
      // Scene Viewer fetches the file itself and is not known to decode EXT_meshopt_compression:
      // give it the engine's plain original rather than the web-optimised copy.
      const glb = new URL(this.downloadUrl() ?? this.src() ?? '/', location.origin).toString();
      location.href = sceneViewerIntent(glb, this.modelTitle(), location.href);
    } else if (mode === 'quick-look') {
      await this.openServerUsdz();
    }
  }

  /**
   * Quick Look with the server's USDZ (made on first request): asked for until it is there (202 →
   * "Preparing AR…" → Retry-After), then opened. After a wait, a link to tap stays too, in case
   * Safari no longer counts the tap that started it.
   */
  private async openServerUsdz(): Promise<void> {
    const modelId = this.modelId();
    if (modelId === undefined) return;
    this.arWait?.abort();
    const wait = new AbortController();
    this.arWait = wait;
    this.arBusy.set(true);
    this.arLink.set(undefined);
    let waited = false;
    const path = modelDownloadPath(modelId, 'usdz');
    try {
      const outcome = await waitForDownload(path, { signal: wait.signal, onBuilding: () => (waited = true) });
      if (outcome.kind === 'ready') {
        const url = new URL(path, location.origin).toString();
        if (waited) this.arLink.set(url);
        openQuickLook(url);
      } else if (outcome.kind === 'error') {
        const described = describeError(outcome.error, 10);
        this.showShareNote(this.i18n.t(described.key, described.params), 10_000);
      } else if (outcome.kind === 'gave-up') {
        this.showShareNote(this.i18n.t('download.gaveUp', { format: 'USDZ' }), 10_000);
      }
    } finally {
      if (this.arWait === wait) {
        this.arWait = undefined;
        this.arBusy.set(false);
      }
    }
  }

  private showShareNote(note: string, ms = 2500): void {
    clearTimeout(this.shareNoteTimer);
    this.shareNote.set(note);
    this.shareNoteTimer = setTimeout(() => this.shareNote.set(undefined), ms);
  }

  private startRenderer(): void {
    let host: RendererHost;
    try {
      host = new RendererHost(this.canvas().nativeElement, this.stage().nativeElement);
    } catch {
      this.state.set('no-webgl');
      this.loadFailed.emit(0);
      return;
    }
    this.host = host;
    this.arMode.set(detectArMode(readPlatformHints()));
    this.disposeEnvironment = applyRoomEnvironment(host.renderer, host.scene);
    const controls = createOrbitControls(host.camera, host.renderer.domElement, host.requestRender);
    controls.addEventListener('start', () => (this.userMoved = true));
    this.controls = controls;
    host.onFrame((delta) => controls.update(delta) || controls.autoRotate);
    host.onResize(() => {
      // Keep the model in view on rotation or resize until the user has moved the camera.
      if (this.framing && !this.userMoved) this.frame(this.framing);
    });
    this.hostReady.set(true);
  }

  private async load(src: string): Promise<void> {
    const host = this.host;
    if (!host) return;
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.state.set('loading');
    try {
      const loaded = await loadModel(src, abort.signal);
      if (abort.signal.aborted) {
        disposeObject(loaded.scene);
        return;
      }
      this.replaceModel(loaded.scene);
      this.state.set('ready');
      this.loaded.emit({ lastModified: loaded.lastModified, bytes: loaded.bytes });
    } catch (error) {
      if (abort.signal.aborted) return;
      this.state.set('error');
      this.loadFailed.emit(error instanceof ModelLoadError ? error.status : 0);
    }
  }

  /**
   * Fetches and draws a voxel preview, replacing an older one (disposed), unless the model is
   * already in (or on its way). The first one is framed like a model; later ones keep the camera.
   */
  private async showPreview(preview: TaskPreview): Promise<void> {
    const host = this.host;
    if (!host || this.src() !== undefined || preview.rev <= this.shownPreviewRev) return;
    this.previewAbort?.abort();
    const abort = new AbortController();
    this.previewAbort = abort;
    try {
      const response = await fetch(preview.url, { signal: abort.signal, cache: 'no-store' });
      if (!response.ok) return; // expired or not there yet: the next preview or the model follows
      const rev = Number(response.headers.get('X-Preview-Rev'));
      const grid = decodeVoxels(
        await response.arrayBuffer(),
        Number(response.headers.get('X-Preview-Resolution')),
        response.headers.get('X-Preview-Encoding') ?? '',
      );
      const picture = await this.pictureOf(this.picture());
      if (abort.signal.aborted || this.src() !== undefined || this.host !== host) return;
      if (Number.isFinite(rev) && rev <= this.shownPreviewRev) return;
      this.shownPreviewRev = Number.isFinite(rev) && rev > 0 ? rev : preview.rev;
      const mesh = buildVoxelMesh(grid, picture);
      const framing = voxelFraming(grid, host.camera.fov, host.aspect);
      const first = this.voxels === undefined;
      if (this.voxels) disposeObject(this.voxels);
      // Centred like a model; a finer preview keeps the first one's centre, so nothing moves.
      const center = first ? framing.center : (this.framing?.center ?? framing.center);
      mesh.position.sub(center);
      host.scene.add(mesh);
      this.voxels = mesh;
      if (first) {
        this.framing = framing;
        this.userMoved = false;
        this.frame(framing);
        if (this.controls) fitControls(this.controls, framing);
      }
      this.state.set('preview');
      host.requestRender();
    } catch {
      // A preview is a courtesy: a bad or interrupted one leaves the view as it was.
    }
  }

  /** The picture's pixels, decoded once per picture. */
  private pictureOf(blob: Blob | undefined): Promise<PictureData | undefined> {
    if (!blob) return Promise.resolve(undefined);
    if (this.pictureData?.blob !== blob) this.pictureData = { blob, data: readPicture(blob) };
    return this.pictureData.data;
  }

  /**
   * Shows the loaded model. After a preview it takes the voxels' place (they are disposed) in the
   * same spot, and the camera stays where it is: the voxels were framed like the model, whose
   * vertices lie within them, so the model appears where the shape was, with no jump.
   */
  private replaceModel(scene: Group): void {
    const host = this.host;
    const controls = this.controls;
    if (!host || !controls) return;
    if (this.model) disposeObject(this.model);
    this.previewAbort?.abort();
    const previewFraming = this.voxels ? this.framing : undefined;
    if (this.voxels) {
      disposeObject(this.voxels);
      this.voxels = undefined;
    }
    const framing = computeFraming(scene, host.camera.fov, host.aspect);
    scene.position.sub(previewFraming?.center ?? framing.center);
    host.scene.add(scene);
    this.model = scene;
    setWireframe(scene, this.wireframe());
    if (previewFraming) {
      // Zoom limits for the model; the target and the camera stay as the user left them.
      this.framing = { ...framing, center: previewFraming.center };
      controls.minDistance = framing.radius * 0.2;
      controls.maxDistance = framing.distance * 5;
    } else {
      this.framing = framing;
      this.userMoved = false;
      this.frame(framing);
      fitControls(controls, framing);
    }
    host.requestRender();
  }

  private frame(framing: Framing): void {
    const host = this.host;
    if (!host) return;
    placeCamera(host.camera, {
      ...framing,
      distance: fitDistance(framing.radius, host.camera.fov, host.aspect),
    });
    this.controls?.target.set(0, 0, 0);
  }

  private teardown(): void {
    this.loadAbort?.abort();
    this.previewAbort?.abort();
    this.arWait?.abort();
    if (this.voxels) disposeObject(this.voxels);
    clearTimeout(this.shareNoteTimer);
    if (this.model) disposeObject(this.model);
    this.controls?.dispose();
    this.disposeEnvironment?.();
    this.host?.dispose();
  }
}
