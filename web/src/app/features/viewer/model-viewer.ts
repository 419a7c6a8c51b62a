import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  Type,
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
import { Box3, Group, InstancedMesh, Object3D } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { NgComponentOutlet } from '@angular/common';

import { describeError } from '../../core/api/error-messages';
import { loadChunk } from '../../core/app-update/lazy-chunk';
import { StaleBuild } from '../../core/app-update/stale-build';
import { modelDownloadPath, waitForDownload } from '../../core/api/model-formats';
import { modelIdFromUrl } from '../../core/api/model-url';
import { DOWNLOAD_STALL_TIMEOUT_MS } from '../../core/api/request-timeouts';
import { fetchWhole } from '../../core/api/stall-bounded-fetch';
import type { TaskPreview } from '../../core/events/task-state';
import { I18n } from '../../core/i18n/i18n';
import { ArMode, detectArMode, openQuickLook, readPlatformHints, sceneViewerIntent } from './ar';
import {
  TURN_STEP_RAD,
  ZOOM_IN_STEP,
  createOrbitControls,
  fitControls,
  turnBy,
  zoomBy,
  zoomLimits,
} from './controls';
import { disposeObject, setWireframe } from './disposal';
import { ContextState } from './context-loss';
import { SceneEnvironment, addStandInLights, roomEnvironmentBake } from './environment';
import { isSoftwareRenderer, rendererName } from './software-renderer';
import {
  Framing,
  ShownBefore,
  computeFraming,
  fitDistance,
  keptFraming,
  modelBounds,
  placeCamera,
} from './framing';
import { ModelLoadError, loadModel } from './model-loader';
import { countTriangles, describeModel } from './model-summary';
import { RendererHost, VIEWER_BACKGROUND } from './renderer-host';
import { BalancedRows, RovingFocus } from './toolbar';
import { buildVoxelMesh, readPicture, voxelFraming } from './voxel-mesh';
import { PictureData, decodeVoxels } from './voxel-preview';

/**
 * What the viewer shows: the voxel preview while the model is made, the person's own mesh
 * (grey, before it is painted), loading, the model, an error, or that WebGL is missing.
 */
export type ViewerState = 'preview' | 'mesh' | 'loading' | 'ready' | 'error' | 'no-webgl';

/**
 * Which level of detail of `src` is drawn (data-level): its small LOD (`lodSrc`, issue 21: a few
 * percent of the bytes, shown first) or the full web model.
 */
export type ViewerLevel = 'lod' | 'full';

/** The camera as the data-camera attribute states it: position and orbit target, 4 decimals. */
export function describeCamera(position: Vector3Like, target: Vector3Like): string {
  const triple = (v: Vector3Like): string => [v.x, v.y, v.z].map((n) => n.toFixed(4)).join(',');
  return `${triple(position)} ${triple(target)}`;
}

/** A point as three.js and plain objects both give it. */
interface Vector3Like {
  x: number;
  y: number;
  z: number;
}

/**
 * Marks on the page's performance timeline (User Timing, `kiln-viewer:{what}`) once the frame
 * that shows `what` was drawn: the delivery benchmark reads them (api/bench/rows/delivery.row.ts).
 * The renderer's frame was asked for first, so this callback runs right after it in that frame.
 */
function markFrame(what: string): void {
  requestAnimationFrame(() => performance.mark(`kiln-viewer:${what}`));
}

/**
 * After the LOD's frame, how long the environment map waits for the full model (ms): a model that
 * arrives by then is drawn before the map is made; a longer download overlaps the map's making.
 */
const ENVIRONMENT_AFTER_LOD_MS = 1500;

/**
 * Height of the caption band at the stage's bottom (the preview's, the LOD's, the unpainted
 * mesh's: one line), in rem: the stage's CSS takes it (--caption-band), and a model framed while
 * one shows is framed above it (RendererHost.setBottomInset), so the caption never covers it (a
 * trial's phone: the bottom tenth of a tall mesh under it).
 */
const CAPTION_BAND_REM = 2.25;

/** The environment map is made by then (ms after the renderer) even when no model was drawn. */
const ENVIRONMENT_LATEST_MS = 4000;

/** After the camera moves, how long before data-camera states where it is now. */
const CAMERA_PUBLISH_MS = 200;

/** Emitted once a model is shown: its file's Last-Modified and size in bytes. */
export interface ModelLoadedInfo {
  lastModified: Date | undefined;
  bytes: number;
}

let nextViewerId = 0;

/** The three.js viewer: load, frame, orbit, and the toolbar (reset, rotate, wireframe, download, share, AR). */
@Component({
  selector: 'kiln-model-viewer',
  templateUrl: './model-viewer.html',
  styleUrl: './model-viewer.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [NgComponentOutlet],
  host: {
    '[attr.data-state]': 'state()',
    '[attr.data-camera]': 'cameraPose()',
    '[attr.data-context]': 'contextState()',
    '[attr.data-restores]': 'restores()',
    '[attr.data-level]': 'level() ?? null',
    '[attr.data-lighting]': 'lighting()',
  },
})
export class ModelViewer {
  /** The GLB to show (same-origin path, /static/{uuid}.glb); none yet while previewing. */
  readonly src = input<string | undefined>(undefined);
  /**
   * The small level of detail of `src` ({uuid}.lod.glb, same bounds): fetched beside it and drawn
   * first, then replaced by `src`'s model without moving the camera. Missing (404, an older
   * model) or late: only `src` is shown.
   */
  readonly lodSrc = input<string | undefined>(undefined);
  /**
   * A mesh of the person's own (parsed in the browser, grey), drawn at once while there is no
   * `src`; `src`'s model then takes its place without moving the camera when it has the same
   * bounds (the painted copy of this mesh). Borrowed: its owner disposes it, never the viewer.
   */
  readonly localModel = input<Object3D | undefined>(undefined);
  /** The latest voxel preview of the task being made: drawn until `src` arrives. */
  readonly preview = input<TaskPreview | undefined>(undefined);
  /** The uploaded picture, which colours the preview's voxels (clay without it). */
  readonly picture = input<Blob | undefined>(undefined);
  /** The picture's file name, for the description (the name it was sent under; kept across a reload). */
  readonly pictureName = input<string | undefined>(undefined);
  /** The model is the person's own mesh painted from the picture (a texturing task's result). */
  readonly painted = input(false);
  /** The original GLB, for Scene Viewer on Android; the viewed one when absent. */
  readonly downloadUrl = input<string | undefined>(undefined);
  /**
   * The share page's address as it is handed out (absolute: a task's `share_url`, which names
   * PUBLIC_BASE_URL, not the address this page happens to be opened at); no share button when absent.
   */
  readonly shareUrl = input<string | undefined>(undefined);
  readonly modelTitle = input('Kiln3D model');
  readonly loaded = output<ModelLoadedInfo>();
  readonly loadFailed = output<number>();

  protected readonly i18n = inject(I18n);
  protected readonly state = signal<ViewerState>('loading');
  /** The level of detail drawn (data-level), undefined before any model of `src`. */
  protected readonly level = signal<ViewerLevel | undefined>(undefined);
  /** Whether there is something to turn and zoom: a model, or the person's own mesh. */
  /** Whether a caption band shows over the stage's bottom (the template's captions). */
  private readonly captioned = computed(
    () =>
      this.contextState() === 'live' &&
      (this.state() === 'preview' ||
        this.state() === 'mesh' ||
        (this.state() === 'ready' && this.level() === 'lod')),
  );
  protected readonly captionBand = `${CAPTION_BAND_REM}rem`;
  protected readonly canOrbit = computed(() => this.state() === 'ready' || this.state() === 'mesh');
  /** Where the camera is and looks (describeCamera), for the page's tests; '' before any model. */
  protected readonly cameraPose = signal('');
  protected readonly autoRotate = signal(false);
  protected readonly wireframe = signal(false);
  protected readonly shareNote = signal<string | undefined>(undefined);
  protected readonly arBusy = signal(false);
  protected readonly arMode = signal<ArMode>('none');
  /** The model's id, from `src` (/static/{id}.glb): what the downloads and Quick Look ask for. */
  protected readonly modelId = computed(() => modelIdFromUrl(this.src() ?? ''));
  /** The server's USDZ once ready after a wait: a link to tap, should Safari not open it by itself. */
  protected readonly arLink = signal<string | undefined>(undefined);
  /** The download menu's component once its chunk has loaded (loadDownloadMenu). */
  protected readonly downloadMenu = signal<Type<unknown> | undefined>(undefined);
  protected readonly background = VIEWER_BACKGROUND;
  /** The id of the viewer's text description (the canvas's aria-describedby). */
  protected readonly descriptionId = `kiln-viewer-about-${nextViewerId++}`;
  /** Triangles and file bytes of what is shown, for the description. */
  private readonly shownTriangles = signal<number | undefined>(undefined);
  private readonly shownBytes = signal<number | undefined>(undefined);
  /** The viewer in words (describeModel): what the model is, its size, how to download it. */
  protected readonly description = computed(() =>
    describeModel(
      {
        state: this.state(),
        ownMesh: this.localModel() !== undefined || this.painted(),
        pictureName: this.pictureName() || undefined,
        triangles: this.shownTriangles(),
        bytes: this.shownBytes(),
        downloadable: this.modelId() !== undefined,
        lod: this.level() === 'lod',
      },
      (key, params) => this.i18n.t(key, params),
      this.i18n.locale(),
    ),
  );
  /**
   * The WebGL context: live, taken away by the browser (the view comes back by itself), or away
   * so long that a reload is offered.
   */
  protected readonly contextState = signal<ContextState>('live');
  /** How many times the view was restored and drawn again after a lost context (for tests). */
  protected readonly restores = signal(0);
  /**
   * What lights the model (data-lighting): the stand-in lights until the environment map is made,
   * the map, or 'plain', the stand-in lights for good on a software renderer. There one bake of
   * the map (three's PMREMGenerator, GGX-filtered with 256 samples a texel, at least 256 px a face)
   * took 5-6 CPU-s whatever the scene or size asked for (SwiftShader, measured), and the frames
   * after it wait for it; a GPU does it in milliseconds.
   */
  protected readonly lighting = signal<'stand-in' | 'environment' | 'plain'>('stand-in');

  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  private readonly stage = viewChild.required<ElementRef<HTMLElement>>('stage');
  private readonly toolbar = viewChild.required<ElementRef<HTMLElement>>('toolbar');
  private readonly viewControls = viewChild.required<ElementRef<HTMLElement>>('viewControls');
  private toolbarFocus: RovingFocus | undefined;
  private viewControlsFocus: RovingFocus | undefined;
  private toolbarRows: BalancedRows | undefined;
  private readonly hostReady = signal(false);
  private host: RendererHost | undefined;
  private controls: OrbitControls | undefined;
  /** The image-based light, made after the first frame (makeEnvironment); rebuilt after a lost context. */
  private environment: SceneEnvironment | undefined;
  /** The stand-in lights' removal, until the environment map replaces them. */
  private removeStandInLights: (() => void) | undefined;
  private environmentTimer: ReturnType<typeof setTimeout> | undefined;
  /** What is shown: the loaded model (the viewer's own) or `localModel` (borrowed). */
  private model: Object3D | undefined;
  private modelOwned = false;
  /** The viewer's group around `model`, offset so that the model's framing centre is the origin. */
  private holder: Group | undefined;
  /** `model`'s bounds in its own coordinates, to tell whether the next one has the same shape. */
  private modelBox: Box3 | undefined;
  private cameraTimer: ReturnType<typeof setTimeout> | undefined;
  private voxels: InstancedMesh | undefined;
  private shownPreviewRev = 0;
  private previewAbort: AbortController | undefined;
  private pictureData: { blob: Blob; data: Promise<PictureData | undefined> } | undefined;
  private framing: Framing | undefined;
  private userMoved = false;
  private loadAbort: AbortController | undefined;
  private shareNoteTimer: ReturnType<typeof setTimeout> | undefined;
  private arWait: AbortController | undefined;
  private readonly staleBuild = inject(StaleBuild);
  /** Stops the download menu's loading when the viewer goes away. */
  private readonly menuAbort = new AbortController();
  private menuRequested = false;

  constructor() {
    afterNextRender(() => {
      this.startToolbar();
      this.startRenderer();
    });
    effect(() => {
      const src = this.src();
      if (!this.hostReady()) return;
      if (src !== undefined) untracked(() => void this.load(src));
      else untracked(() => this.loadAbort?.abort());
    });
    effect(() => {
      // Without a model to show, the person's own mesh is shown (again).
      const local = this.localModel();
      if (local !== undefined && this.src() === undefined && this.hostReady()) {
        untracked(() => this.showLocal(local));
      }
    });
    effect(() => {
      const preview = this.preview();
      if (preview !== undefined && this.hostReady()) untracked(() => void this.showPreview(preview));
    });
    effect(() => {
      if (this.modelId() !== undefined) untracked(() => this.loadDownloadMenu());
    });
    inject(DestroyRef).onDestroy(() => {
      this.menuAbort.abort();
      this.teardown();
    });
  }

  /**
   * Loads the download menu, its own chunk so the viewer's (three.js) stays within its budget: on
   * idle, or after 2 s at the latest (a page drawing every frame on a software renderer may never
   * be idle). Not a `@defer` block: Angular keeps a failed one failed, and a phone that lost its
   * network for a moment must still get its menu (loadChunk tries again once back online).
   */
  private loadDownloadMenu(): void {
    if (this.menuRequested) return;
    this.menuRequested = true;
    const abort = this.menuAbort.signal;
    const start = (): void => {
      if (abort.aborted) return;
      const load = (): Promise<Type<unknown>> => import('./download-menu').then((m) => m.DownloadMenu);
      void loadChunk(load, this.staleBuild, { signal: abort }).then((menu) => {
        if (menu !== undefined && !abort.aborted) this.downloadMenu.set(menu);
      });
    };
    if (typeof requestIdleCallback === 'function') requestIdleCallback(start, { timeout: 2000 });
    else setTimeout(start, 2000);
  }

  protected resetView(): void {
    if (!this.host || !this.framing || !this.controls) return;
    this.userMoved = false;
    this.controls.reset();
    this.insetForCaption(this.captioned());
    this.frame(this.framing);
    this.controls.update();
    this.host.requestRender();
  }

  /** Zoom in (1) or out (-1) one step, as '+' and '-' on the canvas do. */
  protected zoom(direction: 1 | -1): void {
    if (!this.host || !this.controls) return;
    this.userMoved = true;
    zoomBy(this.controls, this.host.camera, direction === 1 ? ZOOM_IN_STEP : 1 / ZOOM_IN_STEP);
    this.host.requestRender();
  }

  /** Turn the model left (1) or right (-1) one step (TURN_STEP_RAD), as a drag does. */
  protected turn(direction: 1 | -1): void {
    if (!this.host || !this.controls) return;
    this.userMoved = true;
    turnBy(this.controls, this.host.camera, direction * TURN_STEP_RAD);
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

  /** Loads the model again after a failed download (the error overlay's button). */
  protected retryLoad(): void {
    const src = this.src();
    if (src !== undefined && this.host) void this.load(src);
  }

  /** The last resort when the browser does not give the WebGL context back. */
  protected reloadPage(): void {
    location.reload();
  }

  protected async copyShareLink(): Promise<void> {
    const url = this.shareUrl();
    if (!url) return;
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

  /** Arrow keys between the buttons, and rows that never leave one button alone. */
  private startToolbar(): void {
    const toolbar = this.toolbar().nativeElement;
    this.toolbarFocus = new RovingFocus(toolbar);
    this.viewControlsFocus = new RovingFocus(this.viewControls().nativeElement);
    this.toolbarRows = new BalancedRows(toolbar);
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
    performance.mark('kiln-viewer:renderer');
    this.arMode.set(detectArMode(readPlatformHints()));
    // A lost context takes the environment map with it (it lives only on the GPU): baked again
    // once the context is back, if it was made by then (the stand-in lights need nothing).
    host.onContextRestore(() => this.environment?.rebuild());
    host.onContextChange((state, restores) => {
      this.contextState.set(state);
      this.restores.set(restores);
    });
    // Issue 21: the model's first frame does not wait for the environment map (PMREM: seconds
    // on a CPU renderer), nor does its download: lit plainly until the map is made, after
    // that first frame, or after ENVIRONMENT_LATEST_MS when nothing was shown by then.
    this.removeStandInLights = addStandInLights(host.scene);
    if (isSoftwareRenderer(rendererName(host.renderer.getContext()))) this.lighting.set('plain');
    else {
      this.environmentTimer = setTimeout(() => this.makeEnvironment(), ENVIRONMENT_LATEST_MS);
    }
    const controls = createOrbitControls(host.camera, host.renderer.domElement, host.requestRender);
    controls.addEventListener('start', () => (this.userMoved = true));
    controls.addEventListener('change', () => this.scheduleCameraPublish());
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
    // Beside the person's own mesh (texturing) the shape is already drawn: no LOD then.
    const lodSrc = this.model !== undefined && !this.modelOwned ? undefined : this.lodSrc();
    // Once the full model is shown or has failed, a LOD arriving later is dropped: it must not
    // replace the detail, nor hide a failure and its "Try again" behind a model that looks finished.
    let fullSettled = false;
    let lodShown = false;
    if (lodSrc !== undefined) {
      // In parallel: the LOD's few kilobytes barely slow the full model's transfer.
      void loadModel(lodSrc, abort.signal)
        .then((lod) => {
          if (abort.signal.aborted || fullSettled || this.loadAbort !== abort) {
            disposeObject(lod.scene);
            return;
          }
          this.replaceModel(lod.scene, true, false, ENVIRONMENT_AFTER_LOD_MS, true);
          lodShown = true;
          markFrame('lod');
          this.level.set('lod');
          this.state.set('ready');
        })
        .catch(() => undefined); // a courtesy: the full model follows anyway
    }
    try {
      const loaded = await loadModel(src, abort.signal);
      if (abort.signal.aborted) {
        disposeObject(loaded.scene);
        return;
      }
      fullSettled = true;
      // The LOD is this model, simplified within its bounds: the camera stays exactly where it is.
      this.replaceModel(loaded.scene, true, lodShown);
      markFrame('full');
      this.level.set('full');
      this.shownBytes.set(loaded.bytes);
      this.state.set('ready');
      this.loaded.emit({ lastModified: loaded.lastModified, bytes: loaded.bytes });
    } catch (error) {
      if (abort.signal.aborted) return;
      fullSettled = true;
      this.state.set('error');
      this.loadFailed.emit(error instanceof ModelLoadError ? error.status : 0);
    }
  }

  /**
   * The environment map (PMREM of three's RoomEnvironment) in place of the stand-in lights, once,
   * never on a software renderer; the shown materials are recompiled for it on the next frame.
   */
  private makeEnvironment(): void {
    clearTimeout(this.environmentTimer);
    const host = this.host;
    // Only while the stand-in lights wait for it: not once it is made, never for good ('plain').
    if (!host || this.lighting() !== 'stand-in') return;
    this.environment = new SceneEnvironment(host.scene, roomEnvironmentBake(host.renderer));
    this.removeStandInLights?.();
    this.removeStandInLights = undefined;
    performance.mark('kiln-viewer:environment');
    this.lighting.set('environment');
    host.requestRender();
  }

  /**
   * After the frame now asked for is drawn (a first look, lit plainly): the environment map, in a
   * task of its own `delayMs` later. The map and the shader variant that samples it cost seconds
   * on a CPU renderer, so after a LOD they wait a little for the full model, which is then drawn
   * first (a later call with no delay replaces a pending one).
   */
  private environmentAfterFrame(delayMs = 0): void {
    if (this.lighting() !== 'stand-in') return;
    requestAnimationFrame(() => {
      clearTimeout(this.environmentTimer);
      this.environmentTimer = setTimeout(() => this.makeEnvironment(), delayMs);
    });
  }

  /** Shows the person's own mesh in place of whatever is shown (a load under way is dropped). */
  private showLocal(object: Object3D): void {
    if (!this.host) return;
    this.loadAbort?.abort();
    if (this.model !== object) this.replaceModel(object, false, false, 0, true);
    this.shownBytes.set(undefined);
    this.level.set(undefined);
    this.state.set('mesh');
  }

  /**
   * Fetches and draws a voxel preview, replacing an older one (disposed), unless the model is
   * already in (or on its way). The first one is framed like a model; later ones keep the camera.
   */
  private async showPreview(preview: TaskPreview): Promise<void> {
    const host = this.host;
    if (!host || this.src() !== undefined || this.localModel() !== undefined) return;
    if (preview.rev <= this.shownPreviewRev) return;
    this.previewAbort?.abort();
    const abort = new AbortController();
    this.previewAbort = abort;
    try {
      const response = await fetchWhole(
        preview.url,
        { signal: abort.signal, cache: 'no-store' },
        DOWNLOAD_STALL_TIMEOUT_MS,
      );
      if (!response.ok) return; // expired or not there yet: the next preview or the model follows
      const rev = Number(response.headers.get('X-Preview-Rev'));
      const grid = decodeVoxels(
        response.body,
        Number(response.headers.get('X-Preview-Resolution')),
        response.headers.get('X-Preview-Encoding') ?? '',
      );
      const picture = await this.pictureOf(this.picture());
      if (abort.signal.aborted || this.src() !== undefined || this.host !== host) return;
      if (Number.isFinite(rev) && rev <= this.shownPreviewRev) return;
      this.shownPreviewRev = Number.isFinite(rev) && rev > 0 ? rev : preview.rev;
      const mesh = buildVoxelMesh(grid, picture);
      const first = this.voxels === undefined;
      if (first) this.insetForCaption(true);
      const framing = voxelFraming(grid, host.camera.fov, host.aspect);
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
      this.environmentAfterFrame();
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
   * Shows a model (`owned`: the viewer's own, disposed when replaced; else borrowed, only taken
   * out of the scene). The camera stays where it is, and the model takes the place of what was
   * shown, when the old and new models have the same bounds (the painted copy of a mesh: same
   * triangles, so no jump), or after a voxel preview (framed like the model, whose vertices lie
   * within it), or when `sameModel` says the shown one is its LOD (issue 21). Anything else is
   * framed afresh, above the caption band when `captioned` (a caption will show with it). The
   * full model after its LOD drops the LOD caption's band (insetForCaption), unless moved by hand.
   */
  private replaceModel(
    object: Object3D,
    owned: boolean,
    sameModel = false,
    environmentDelayMs = 0,
    captioned = false,
  ): void {
    const host = this.host;
    const controls = this.controls;
    if (!host || !controls) {
      if (owned) disposeObject(object);
      return;
    }
    const before: ShownBefore = {
      model:
        this.model && this.modelBox && this.framing
          ? { box: this.modelBox, framing: this.framing }
          : undefined,
      preview: this.voxels ? this.framing : undefined,
    };
    this.removeModel();
    this.previewAbort?.abort();
    if (this.voxels) {
      disposeObject(this.voxels);
      this.voxels = undefined;
    }
    object.removeFromParent();
    const box = modelBounds(object);
    const kept = sameModel && before.model ? before.model.framing : keptFraming(before, box);
    // The full model after its LOD: the LOD caption's band goes with it. The camera, if the person
    // has not moved it, is framed again on the framing it had, over the whole stage, so the model
    // ends framed as on a page that never showed the LOD (a fast link) and as Reset view frames
    // it; before, it kept the empty 36 px band, drawn higher and smaller. On a stage wider than
    // tall the camera itself stays put. Other kept cameras keep their band (the painted mesh
    // lands exactly where its grey mesh was), and so does a camera the person moved.
    const uncaptioned = sameModel && kept !== undefined && !captioned && !this.userMoved;
    if (!kept || uncaptioned) this.insetForCaption(captioned);
    const framing = computeFraming(object, host.camera.fov, host.aspect);
    const holder = new Group();
    holder.add(object);
    holder.position.copy(kept?.center ?? framing.center).negate();
    host.scene.add(holder);
    this.holder = holder;
    this.model = object;
    this.modelOwned = owned;
    this.modelBox = box;
    this.shownTriangles.set(countTriangles(object));
    setWireframe(object, this.wireframe());
    if (kept) {
      // Zoom limits for the model; the target and the camera stay as the user left them.
      this.framing = { ...framing, center: kept.center };
      Object.assign(controls, zoomLimits(framing));
      if (uncaptioned) this.frame(kept);
    } else {
      this.framing = framing;
      this.userMoved = false;
      this.frame(framing);
      fitControls(controls, framing);
    }
    this.publishCamera();
    host.requestRender();
    this.environmentAfterFrame(environmentDelayMs);
  }

  /** Takes the shown model out of the scene: disposed when it is the viewer's own. */
  private removeModel(): void {
    const model = this.model;
    if (model) {
      if (this.modelOwned) disposeObject(model);
      else model.removeFromParent();
    }
    this.holder?.removeFromParent();
    this.holder = undefined;
    this.model = undefined;
    this.modelBox = undefined;
  }

  /** data-camera, a moment after the camera last moved (not on every damping frame). */
  private scheduleCameraPublish(): void {
    if (this.cameraTimer !== undefined) return;
    this.cameraTimer = setTimeout(() => {
      this.cameraTimer = undefined;
      this.publishCamera();
    }, CAMERA_PUBLISH_MS);
  }

  private publishCamera(): void {
    const host = this.host;
    if (!host || !this.controls) return;
    this.cameraPose.set(describeCamera(host.camera.position, this.controls.target));
  }

  /** Frames above the caption band (CAPTION_BAND_REM in the root's px) when `captioned`, else the whole stage. */
  private insetForCaption(captioned: boolean): void {
    const root = this.stage().nativeElement.ownerDocument.documentElement;
    const rootPx = Number.parseFloat(getComputedStyle(root).fontSize) || 16;
    this.host?.setBottomInset(captioned ? CAPTION_BAND_REM * rootPx : 0);
  }

  private frame(framing: Framing): void {
    const host = this.host;
    if (!host) return;
    placeCamera(host.camera, {
      ...framing,
      distance: fitDistance(framing.radius, host.camera.fov, host.aspect),
    });
    this.controls?.target.set(0, 0, 0);
    this.publishCamera();
  }

  private teardown(): void {
    this.loadAbort?.abort();
    this.previewAbort?.abort();
    this.arWait?.abort();
    if (this.voxels) disposeObject(this.voxels);
    clearTimeout(this.shareNoteTimer);
    clearTimeout(this.cameraTimer);
    clearTimeout(this.environmentTimer);
    this.removeStandInLights?.();
    this.removeModel();
    this.controls?.dispose();
    this.environment?.dispose();
    this.toolbarFocus?.dispose();
    this.viewControlsFocus?.dispose();
    this.toolbarRows?.dispose();
    this.host?.dispose();
  }
}
