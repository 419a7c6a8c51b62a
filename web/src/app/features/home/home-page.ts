import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  type Type,
  afterNextRender,
  computed,
  effect,
  inject,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { NgComponentOutlet } from '@angular/common';

import type { GenerationChoice, TaskKind, TextureChoice } from '../../core/api/api-types';
import { modelIdFromUrl, pageLink } from '../../core/api/model-url';
import { loadChunk } from '../../core/app-update/lazy-chunk';
import { StaleBuild } from '../../core/app-update/stale-build';
import { isTerminal } from '../../core/events/task-state';
import { I18n } from '../../core/i18n/i18n';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { HistoryList } from '../history/history-list';
import { ProgressPanel } from '../progress/progress-panel';
import { MeshPicker } from '../texture/mesh-picker';
import { DEFAULT_MESH_UNITS, type MeshUnits } from '../texture/mesh-units';
import type { PickedMesh } from '../texture/picked-mesh';
import { PickedPicture, UploadPanel } from '../upload/upload-panel';
import { ModeSwitch } from './mode-switch';

/**
 * What POST /api/texture takes: the options panel's seed and texture size, and the units of the
 * mesh's coordinates chosen beside the mesh.
 */
export function textureChoice(options: GenerationChoice, units: MeshUnits): TextureChoice {
  const choice: TextureChoice = { units };
  if (options.seed !== undefined) choice.seed = options.seed;
  if (options.texture_size !== undefined) choice.texture_size = options.texture_size;
  return choice;
}

/**
 * The main page: picture in (or a mesh and the picture that paints it), progress, the model, and
 * this browser's recent models.
 */
@Component({
  selector: 'kiln-home-page',
  imports: [UploadPanel, ProgressPanel, HistoryList, ModeSwitch, MeshPicker, NgComponentOutlet],
  templateUrl: './home-page.html',
  styleUrl: './home-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HomePage {
  protected readonly i18n = inject(I18n);
  private readonly tracker = inject(TaskTracker);
  protected readonly state = this.tracker.state;
  protected readonly busy = computed(() => {
    const phase = this.state().phase;
    return phase !== 'idle' && !isTerminal(phase);
  });
  /** The page's job: make a model of a picture, or paint the person's own mesh. */
  protected readonly mode = signal<TaskKind>('generate');
  /** The mesh chosen to paint (texture mode); this page owns it and disposes it when replaced. */
  protected readonly mesh = signal<PickedMesh | undefined>(undefined);
  /** The units of the mesh's coordinates (the mesh picker's select), sent with it. */
  protected readonly units = signal<MeshUnits>(DEFAULT_MESH_UNITS);
  /** The mesh the latest texturing task was sent with: its result is that mesh, painted. */
  private readonly texturedMesh = signal<PickedMesh | undefined>(undefined);
  protected readonly result = computed(() => {
    const state = this.state();
    if (state.phase !== 'completed' || !state.result) return undefined;
    // A painted mesh is shown while its mesh is the one chosen; another mesh is shown grey instead.
    if (this.mode() === 'texture' && (!this.mesh() || this.texturedMesh() !== this.mesh())) return undefined;
    const modelId = modelIdFromUrl(state.result.modelUrl);
    // The server's share_url (PUBLIC_BASE_URL): the owner may be on localhost or a LAN address.
    const shareUrl = state.result.shareUrl ?? (modelId ? pageLink(`/m/${modelId}`) : undefined);
    return { ...state.result, shareUrl };
  });
  /** The voxel preview while the model is made (the viewer keeps drawing it until the model is in). */
  protected readonly preview = computed(() => {
    const state = this.state();
    if (this.mode() === 'texture') return undefined; // the grey mesh is the shape already
    return state.phase === 'processing' || state.phase === 'completed' ? state.preview : undefined;
  });
  /** The grey mesh the viewer draws until its painted copy arrives (texture mode). */
  protected readonly localModel = computed(() =>
    this.mode() === 'texture' ? this.mesh()?.parsed.object : undefined,
  );
  /** The picture's file name, also after a reload (the description names it). */
  protected readonly pictureName = this.tracker.pictureName;
  /** The picture sent, which colours the preview; none after a reload. */
  protected readonly picture = signal<Blob | undefined>(undefined);
  /**
   * A new variation needs the picture this page sent (not after a reload), and an engine that uses
   * the seed (inflate ignores it: the same model would come back).
   */
  protected readonly canVary = computed(
    () => this.result()?.seedCounts === true && this.picture() !== undefined,
  );

  /**
   * The viewer (its own chunk, with three.js), loaded once there is something to show. Not a
   * `@defer` block: Angular keeps a failed one failed, so a phone whose network dropped as its
   * first preview arrived showed no model at all until a reload; loadChunk tries again once it is
   * back (a chunk the server no longer has is StaleBuild's notice instead).
   */
  protected readonly viewer = signal<Type<unknown> | undefined>(undefined);
  /** The viewer's inputs: one viewer from the first preview (or grey mesh) to the model, so the camera carries over. */
  protected readonly viewerInputs = computed(() => {
    const result = this.result();
    return {
      src: result?.modelUrl ?? undefined,
      lodSrc: result?.lodUrl,
      downloadUrl: result?.downloadUrl ?? undefined,
      shareUrl: result?.shareUrl ?? undefined,
      preview: this.preview(),
      localModel: this.localModel(),
      picture: this.picture(),
      pictureName: this.pictureName(),
    };
  });
  private readonly staleBuild = inject(StaleBuild);
  private readonly viewerAbort = new AbortController();
  private viewerRequested = false;

  private readonly layout = viewChild.required<ElementRef<HTMLElement>>('layout');
  private readonly progressPanel = viewChild(ProgressPanel, { read: ElementRef });
  private readonly modelColumn = viewChild.required<ElementRef<HTMLElement>>('modelColumn');

  constructor() {
    this.tracker.resume();
    inject(DestroyRef).onDestroy(() => {
      this.viewerAbort.abort();
      this.mesh()?.parsed.dispose();
    });
    effect(() => {
      if (this.result() ?? this.preview() ?? this.localModel()) untracked(() => this.loadViewer());
    });
    // A task starts (or is picked up after a reload): its progress appears under the picture,
    // often below the fold of a phone. Bring it into view once it is drawn, and again when the
    // viewer first appears (the page was too short until then to bring the panel to the top).
    const injector = inject(Injector);
    let shown = { task: false, viewer: false };
    effect(() => {
      const task = this.state().phase !== 'idle';
      const viewer = task && Boolean(this.result() ?? this.preview() ?? this.localModel());
      if (task && !shown.task) afterNextRender(() => this.revealProgress('task'), { injector });
      else if (viewer && !shown.viewer) afterNextRender(() => this.revealProgress('viewer'), { injector });
      shown = { task, viewer };
    });
  }

  /** Loads the viewer's chunk once (loadChunk: tried again after a network drop). */
  private loadViewer(): void {
    if (this.viewerRequested) return;
    this.viewerRequested = true;
    const signal = this.viewerAbort.signal;
    const load = (): Promise<Type<unknown>> => import('../viewer/model-viewer').then((m) => m.ModelViewer);
    void loadChunk(load, this.staleBuild, { signal }).then((viewer) => {
      if (viewer !== undefined && !signal.aborted) this.viewer.set(viewer);
    });
  }

  /**
   * Scrolls the progress panel into view when the task starts and when its viewer first appears.
   * In one column (a phone upright) the model comes under the progress: the panel goes to the
   * top of the screen, so the preview and model are in view below it. Side by side the model is
   * beside it: when the task starts the panel comes into view only as far as needed ('nearest',
   * nothing on a desktop where it is already visible); when the viewer appears, the page scrolls
   * back up to the model's top as far as the status line stays on screen (how far the first
   * scroll went depends on what was drawn by then: a phone held sideways saw 59-82 % of the model).
   */
  private revealProgress(moment: 'task' | 'viewer'): void {
    const panel = this.progressPanel()?.nativeElement as HTMLElement | undefined;
    if (!panel?.scrollIntoView) return;
    const columns = getComputedStyle(this.layout().nativeElement).gridTemplateColumns.trim().split(/\s+/);
    if (columns.length === 1) panel.scrollIntoView({ block: 'start' });
    else if (moment === 'task') panel.scrollIntoView({ block: 'nearest' });
    else this.revealModelBeside(panel);
  }

  /** Scrolls up (px) until the model column's top is on screen, keeping `panel`'s status line on it. */
  private revealModelBeside(panel: HTMLElement): void {
    const margin = 8;
    const model = this.modelColumn().nativeElement.getBoundingClientRect();
    const status = (panel.querySelector('.status') ?? panel).getBoundingClientRect();
    const up = Math.min(margin - model.top, window.innerHeight - status.bottom);
    if (up > 0) window.scrollBy({ top: -up });
  }

  /** A mesh passed the checks (or the file chosen instead was refused: undefined). */
  protected onMeshChanged(mesh: PickedMesh | undefined): void {
    const previous = this.mesh();
    if (previous === mesh) return;
    this.mesh.set(mesh);
    // The viewer borrows it: dispose only once the viewer has let go of it (its next render).
    if (previous) queueMicrotask(() => previous.parsed.dispose());
  }

  protected onSubmitted(picked: PickedPicture): void {
    this.picture.set(picked.blob);
    // The viewer's chunk (three.js) is fetched and parsed while the task waits and runs, so the
    // first voxel preview is drawn as it arrives.
    this.loadViewer();
    const mesh = this.mesh();
    if (this.mode() === 'texture') {
      if (!mesh) return;
      this.texturedMesh.set(mesh);
      void this.tracker.startTexture(
        { mesh: mesh.file, meshName: mesh.name, picture: picked.blob, pictureName: picked.name },
        textureChoice(picked.options, this.units()),
      );
    } else {
      this.texturedMesh.set(undefined);
      void this.tracker.start(picked.blob, picked.name, picked.options);
    }
  }

  /** The same picture and options again, with a new seed. */
  protected newVariation(): void {
    void this.tracker.variation();
  }
}
