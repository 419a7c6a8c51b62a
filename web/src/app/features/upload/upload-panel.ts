import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  computed,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';

import { ApiClient } from '../../core/api/api-client';
import type {
  ApiError,
  GenerationChoice,
  QualityPreset,
  TaskKind,
  UnusedOptions,
} from '../../core/api/api-types';
import { describeError } from '../../core/api/error-messages';
import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n, type Lang, type MessageParams } from '../../core/i18n/i18n';
import type { MessageKey } from '../../core/i18n/messages';
import { unusedOptionsText } from '../../core/i18n/option-names';
import { formatEta } from '../progress/time-format';
import { decodesAvif, pictureAccept } from './picture-accept';
import { preparePicture } from './picture-preparer';
import { meshExtension } from '../texture/mesh-validation';
import { PictureChange, describeChange } from './picture-summary';
import { PICTURE_TOOLS } from './picture-tools';
import { ImageKind } from './upload-validation';

/** A picture that passed the browser-side checks, with the name it is sent under. */
export interface PickedPicture {
  blob: Blob;
  name: string;
  kind: ImageKind;
  /** The options panel's choices (only what the person set; the server fills the rest). */
  options: GenerationChoice;
}

/** The options panel's fields as the request's options: blank or out-of-range numbers are left out. */
export function toChoice(fields: {
  quality: string;
  seed: string;
  textureSize: string;
  faces: string;
}): GenerationChoice {
  const choice: GenerationChoice = {};
  if (fields.quality === 'fast' || fields.quality === 'balanced' || fields.quality === 'high') {
    choice.quality = fields.quality;
  }
  const seed = Number(fields.seed.trim());
  if (fields.seed.trim() !== '' && Number.isInteger(seed) && seed >= 1 && seed <= 2_147_483_647)
    choice.seed = seed;
  const size = Number(fields.textureSize);
  if (size === 1024 || size === 2048 || size === 4096) choice.texture_size = size;
  const faces = Number(fields.faces.trim());
  if (fields.faces.trim() !== '' && Number.isInteger(faces) && faces >= 10_000 && faces <= 1_000_000) {
    choice.faces = faces;
  }
  return choice;
}

/** The request options each mode's form has a field for (the texture form: seed and texture size). */
const FORM_OPTIONS: Record<'generate' | 'texture', readonly string[]> = {
  generate: ['quality', 'seed', 'texture_size', 'faces'],
  texture: ['seed', 'texture_size'],
};

/** The quality presets, fastest first, and their names. */
const QUALITY_CHOICES: readonly { value: QualityPreset['quality']; label: MessageKey }[] = [
  { value: 'fast', label: 'upload.quality.fast' },
  { value: 'balanced', label: 'upload.quality.balanced' },
  { value: 'high', label: 'upload.quality.high' },
];

/** One entry of the quality list: offered or not, and its text. */
export interface QualityChoice {
  value: QualityPreset['quality'];
  offered: boolean;
  text: string;
}

/**
 * The quality list as GET /api/qualities describes it: each preset's name with its expected time
 * on this GPU, or "too slow" (and not selectable) when the server does not offer it; the bare
 * names while the server has not said. t: the page's translator.
 */
export function qualityChoices(
  presets: readonly QualityPreset[],
  lang: Lang,
  t: (key: MessageKey, params?: MessageParams) => string,
): QualityChoice[] {
  return QUALITY_CHOICES.map(({ value, label }) => {
    const preset = presets.find((p) => p.quality === value);
    const name = t(label);
    if (!preset) return { value, offered: true, text: name };
    if (!preset.offered)
      return { value, offered: false, text: t('upload.quality.unavailable', { label: name }) };
    return {
      value,
      offered: true,
      text: t('upload.quality.expected', { label: name, eta: formatEta(preset.expected_s, lang) }),
    };
  });
}

/** Numbers each panel's element ids (two panels may share a page). */
let nextPanelId = 0;

/** Choose, drop, paste or photograph a picture; check it as the server would; show it; send it. */
@Component({
  selector: 'kiln-upload-panel',
  templateUrl: './upload-panel.html',
  styleUrl: './upload-panel.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:paste)': 'onPaste($event)' },
})
export class UploadPanel {
  /** True while a task is being sent or followed: no second submission meanwhile. */
  readonly busy = input(false);
  /**
   * The page's job: `generate` makes a model of the picture; `texture` paints the person's mesh
   * from it (its own button, and only the options that apply: seed and texture size).
   */
  readonly mode = input<TaskKind>('generate');
  /** False while the job lacks its other half (texture: no mesh chosen yet): nothing to send. */
  readonly ready = input(true);
  readonly submitted = output<PickedPicture>();

  protected readonly i18n = inject(I18n);
  protected readonly config = inject(ServerConfigStore).value;
  private readonly api = inject(ApiClient);
  private readonly tools = inject(PICTURE_TOOLS);
  /** Counts pictures offered: a slow scaling that a newer picture overtook is dropped. */
  private offered = 0;
  /** What GET /api/qualities said when the options panel was last opened. */
  private readonly presets = signal<QualityPreset[]>([]);
  /** The options the server's engine never uses (GET /api/qualities), for this panel's job. */
  private readonly unusedOptions = signal<UnusedOptions>({ generate: [], texture: [] });
  /** Of those, the ones this form has a field for (texture_resolution has none: the server's default). */
  protected readonly unused = computed(() =>
    this.unusedOptions()[this.mode()].filter((name) => FORM_OPTIONS[this.mode()].includes(name)),
  );
  /** Said above the options, which are then greyed out: the engine would ignore them. */
  protected readonly unusedText = computed(() => unusedOptionsText(this.i18n, this.unused()));
  /** The hint under the picture: its sentences joined as each language writes them (zh: no space). */
  protected readonly hintText = computed(() =>
    [
      this.i18n.t(this.mode() === 'texture' ? 'upload.textureHint' : 'upload.hint'),
      this.i18n.t('upload.limits', { max: this.config().max_upload_mb }),
      this.i18n.t('upload.scaleNote'),
    ].join(this.i18n.lang() === 'zh' ? '' : ' '),
  );
  protected readonly qualityList = computed(() =>
    qualityChoices(this.presets(), this.i18n.lang(), (key, params) => this.i18n.t(key, params)),
  );
  /** What "Choose a picture" offers (pictureAccept): AVIF too once this browser is known to decode it. */
  protected readonly fileTypes = signal(pictureAccept(false));
  protected readonly picked = signal<PickedPicture | undefined>(undefined);
  protected readonly previewUrl = signal<string | undefined>(undefined);
  protected readonly checking = signal(false);
  /** The options panel (closed by default): raw field values, read when the picture is sent. */
  protected readonly quality = signal('balanced');
  protected readonly seed = signal('');
  protected readonly textureSize = signal('2048');
  protected readonly faces = signal('');
  /**
   * The options the person set (or the page had to set: a preset no longer offered). Only these
   * are sent: the fields' starting values are the server's defaults, and a default sent would be
   * reported back as an option the engine ignored, though nobody chose it.
   */
  private readonly touched = signal<ReadonlySet<string>>(new Set());

  /** A field changed by the person. */
  protected choose(option: 'quality' | 'seed' | 'texture_size' | 'faces', value: string): void {
    const field = {
      quality: this.quality,
      seed: this.seed,
      texture_size: this.textureSize,
      faces: this.faces,
    }[option];
    field.set(value);
    this.touched.update((set) => new Set(set).add(option));
  }
  protected readonly dragging = signal(false);
  /** What scaling (or converting) did to the picture, shown under it; undefined: sent as it is. */
  protected readonly change = signal<PictureChange | undefined>(undefined);
  /** How long the last picture took to prepare (decode, scale, encode), in seconds, for the page's data attribute. */
  protected readonly preparedIn = signal<number | undefined>(undefined);
  protected readonly changeText = computed(() => {
    const change = this.change();
    if (!change) return undefined;
    const { key, params } = describeChange(change);
    return this.i18n.t(key, params);
  });
  protected readonly rejection = signal<ApiError | undefined>(undefined);
  /**
   * What the refused file was, where that says more than the server's code: a HEIC or AVIF photo
   * this browser could not read, or a mesh offered as the picture (the other mode paints meshes).
   */
  private readonly refusedAs = signal<'HEIC' | 'AVIF' | 'mesh' | undefined>(undefined);
  /** The refusal's element id, which the picker buttons name (aria-describedby, WCAG 1.3.1). */
  protected readonly errorId = `kiln-upload-error-${nextPanelId++}`;
  protected readonly rejectionText = computed(() => {
    const rejection = this.rejection();
    if (!rejection) return undefined;
    const refusedAs = this.refusedAs();
    if (refusedAs === 'mesh')
      return this.i18n.t('upload.meshNotPicture', { mode: this.i18n.t('mode.texture') });
    if (refusedAs) return this.i18n.t('upload.unreadablePhoto', { format: refusedAs });
    const description = describeError(rejection, this.config().max_upload_mb);
    return this.i18n.t(description.key, description.params);
  });
  private readonly fileInput = viewChild.required<ElementRef<HTMLInputElement>>('fileInput');
  private readonly cameraInput = viewChild<ElementRef<HTMLInputElement>>('cameraInput');
  private dragDepth = 0;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.revokePreview());
    void decodesAvif(this.tools).then((avif) => this.fileTypes.set(pictureAccept(avif)));
  }

  /** Opening the options panel asks which presets this GPU offers now, and what its engine uses. */
  protected onOptionsToggle(event: Event): void {
    if ((event.target as HTMLDetailsElement).open) void this.loadPresets();
  }

  /**
   * Reads GET /api/qualities; a chosen preset the server no longer offers gives way to its
   * default (or the first offered), since sending it would only be refused; the options its
   * engine never uses are greyed out and named.
   */
  async loadPresets(): Promise<void> {
    const { presets, unused } = await this.api.getQualities();
    this.presets.set(presets);
    this.unusedOptions.set(unused);
    const chosen = presets.find((p) => p.quality === this.quality());
    if (chosen && !chosen.offered) {
      const fallback = presets.find((p) => p.default && p.offered) ?? presets.find((p) => p.offered);
      if (fallback) this.choose('quality', fallback.quality);
    }
  }

  protected chooseFile(): void {
    this.fileInput().nativeElement.click();
  }

  protected takePhoto(): void {
    this.cameraInput()?.nativeElement.click();
  }

  protected onFileInput(event: Event): void {
    const inputElement = event.target as HTMLInputElement;
    const file = inputElement.files?.[0];
    // Clearing lets the same file be chosen again after "use another picture".
    inputElement.value = '';
    if (file) void this.accept(file);
  }

  protected onDragEnter(event: DragEvent): void {
    if (!this.hasFiles(event)) return;
    event.preventDefault();
    this.dragDepth += 1;
    this.dragging.set(true);
  }

  protected onDragOver(event: DragEvent): void {
    if (!this.hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  }

  protected onDragLeave(): void {
    this.dragDepth = Math.max(0, this.dragDepth - 1);
    if (this.dragDepth === 0) this.dragging.set(false);
  }

  protected onDrop(event: DragEvent): void {
    this.dragDepth = 0;
    this.dragging.set(false);
    const file = event.dataTransfer?.files?.[0];
    // On the texturing page a mesh dropped here is the mesh: left to the page's mesh drop
    // (MeshPicker, on the document), which takes any drop this box did not prevent.
    if (this.mode() === 'texture' && meshExtension(file?.name) !== undefined) return;
    event.preventDefault();
    if (file) void this.accept(file);
  }

  protected onPaste(event: ClipboardEvent): void {
    if (this.busy()) return;
    const target = event.target as HTMLElement | null;
    // Pasting text into a field is not a picture upload.
    if (target?.closest('input, textarea, [contenteditable="true"]')) return;
    const items = Array.from(event.clipboardData?.items ?? []);
    const file = items.find((item) => item.kind === 'file')?.getAsFile();
    if (file) {
      event.preventDefault();
      void this.accept(file);
    }
  }

  protected submit(): void {
    const picked = this.picked();
    const chosen = toChoice({
      quality: this.quality(),
      seed: this.seed(),
      textureSize: this.textureSize(),
      faces: this.faces(),
    });
    // Only what was set, and never a greyed-out field: the engine would ignore it, and the result
    // would say so.
    const unused = this.unused();
    const touched = this.touched();
    const options = Object.fromEntries(
      Object.entries(chosen).filter(([name]) => touched.has(name) && !unused.includes(name)),
    ) as GenerationChoice;
    if (picked && this.ready() && !this.busy()) this.submitted.emit({ ...picked, options });
  }

  protected clear(): void {
    this.revokePreview();
    this.picked.set(undefined);
    this.change.set(undefined);
    this.rejection.set(undefined);
  }

  /**
   * Runs the server's checks here first, so a wrong file gets its answer without an upload; a
   * picture too heavy or too large for the upload (a phone's photo) or in a format the server
   * does not take but this browser reads (HEIC, AVIF) is scaled or converted first
   * (preparePicture), and what was done is shown. A picture that fits is kept byte for byte.
   */
  async accept(file: Blob & { name?: string }): Promise<void> {
    const turn = ++this.offered;
    this.checking.set(true);
    this.rejection.set(undefined);
    try {
      const started = performance.now();
      const prepared = await preparePicture(file, this.config().max_upload_mb * 1024 * 1024, this.tools);
      if (turn !== this.offered) return;
      this.preparedIn.set(Math.round(performance.now() - started) / 1000);
      if (!prepared.ok) {
        this.clear();
        this.rejection.set(prepared.error);
        this.refusedAs.set(meshExtension(file.name) !== undefined ? 'mesh' : prepared.unreadablePhoto);
        return;
      }
      this.revokePreview();
      this.picked.set({ blob: prepared.blob, name: prepared.name, kind: prepared.kind, options: {} });
      this.change.set(prepared.change);
      this.previewUrl.set(URL.createObjectURL(prepared.blob));
    } finally {
      if (turn === this.offered) this.checking.set(false);
    }
  }

  private hasFiles(event: DragEvent): boolean {
    return Array.from(event.dataTransfer?.types ?? []).includes('Files');
  }

  private revokePreview(): void {
    const url = this.previewUrl();
    if (url) URL.revokeObjectURL(url);
    this.previewUrl.set(undefined);
  }
}
