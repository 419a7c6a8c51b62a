import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  InjectionToken,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';

import { describeError } from '../../core/api/error-messages';
import {
  DEFAULT_SIZE_MM,
  FormatList,
  MODEL_FORMATS,
  ModelFormat,
  PRINTING_FORMATS,
  SIZE_MM_MAX,
  SIZE_MM_MIN,
  WaitOptions,
  fetchFormatList,
  formatBytes,
  modelDownloadPath,
  parseSizeMm,
  startDownload,
  waitForDownload,
} from '../../core/api/model-formats';
import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n } from '../../core/i18n/i18n';
import { MessageKey } from '../../core/i18n/messages';

/** What the menu says under its list: progress, an error, or that the download started. */
interface MenuNote {
  kind: 'progress' | 'error' | 'done';
  text: string;
}

/** A download the person chose: which file, and its link (also offered as a plain link once ready). */
interface Chosen {
  format: ModelFormat;
  href: string;
}

const PURPOSE: Record<ModelFormat, MessageKey> = {
  glb: 'download.purpose.glb',
  obj: 'download.purpose.obj',
  stl: 'download.purpose.stl',
  '3mf': 'download.purpose.3mf',
  ply: 'download.purpose.ply',
  usdz: 'download.purpose.usdz',
};

/** How the menu waits between probes and how many it makes (waitForDownload's defaults unless provided: a spec's seam). */
export const DOWNLOAD_WAIT = new InjectionToken<Pick<WaitOptions, 'maxTries' | 'sleep'>>('DOWNLOAD_WAIT', {
  factory: () => ({}),
});

let nextMenuId = 0;

/** The size a printing format is asked at: millimetres, or a painted model's own size (no size_mm). */
type PrintSize = number | 'own';

/** A file's key: the format, and for a printing format its size ("stl@250", "stl@own"). */
function variantKey(format: ModelFormat, size: PrintSize | undefined): string {
  return PRINTING_FORMATS.has(format) ? `${format}@${size ?? ''}` : format;
}

/**
 * The viewer's Download button: a disclosure (button + list) of the model's formats, each with
 * its size once GET /api/models/{id}/formats told it (asked each time the menu opens, one request
 * at a time, with a timeout). Choosing one asks the server for it (waitForDownload: 202 →
 * "Preparing STL…" → Retry-After → again, a bounded number of times, cancelled by closing the
 * menu), then lets the browser download it from the server's URL (startDownload). STL and 3MF
 * are made at the size typed in millimetres, checked before any request; a painted model's
 * (the list says `own_size`) are offered at its own size first, "Own size (40 mm)", the size
 * typed beside it. When the server says the mesh is not watertight, the menu says a slicer may
 * have to repair it.
 */
@Component({
  selector: 'kiln-download-menu',
  templateUrl: './download-menu.html',
  styleUrl: './download-menu.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    '[attr.data-model-id]': 'modelId()',
    '(document:click)': 'onDocumentClick($event)',
    '(keydown.escape)': 'closeFromKeyboard($event)',
  },
})
export class DownloadMenu {
  /** The model's id (the UUID of /static/{id}.glb and /m/{id}). */
  readonly modelId = input.required<string>();

  protected readonly i18n = inject(I18n);
  private readonly waitOptions = inject(DOWNLOAD_WAIT);
  private readonly config = inject(ServerConfigStore, { optional: true });
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  protected readonly formats = MODEL_FORMATS;
  protected readonly panelId = `kiln-download-menu-${nextMenuId++}`;
  protected readonly sizeMin = SIZE_MM_MIN;
  protected readonly sizeMax = SIZE_MM_MAX;

  protected readonly open = signal(false);
  protected readonly list = signal<FormatList | undefined>(undefined);
  protected readonly sizeText = signal(String(DEFAULT_SIZE_MM));
  protected readonly sizeMm = computed(() => parseSizeMm(this.sizeText()));
  /**
   * A painted model's own size, the longest side in millimetres (the list's stl or 3mf entry with
   * own_size); undefined for a generated model, which has none, and until the list is read.
   */
  protected readonly ownSizeMm = computed(
    () =>
      this.list()?.formats.find((item) => PRINTING_FORMATS.has(item.format) && item.own_size === true)
        ?.size_mm,
  );
  /** Which size a painted model's STL and 3MF are asked at: its own (the default) or the one typed. */
  protected readonly sizeChoice = signal<'own' | 'typed'>('own');
  protected readonly atOwnSize = computed(
    () => this.ownSizeMm() !== undefined && this.sizeChoice() === 'own',
  );
  /** The size a printing format is asked at now: its own, or the millimetres typed (undefined: not valid). */
  private readonly printSize = computed<PrintSize | undefined>(() =>
    this.atOwnSize() ? 'own' : this.sizeMm(),
  );
  /** "Own size (40 mm)", in the page's language. */
  protected readonly ownSizeLabel = computed(() => {
    const own = this.ownSizeMm();
    return own === undefined ? undefined : this.i18n.t('download.ownSize', { size: this.millimetres(own) });
  });
  /** Shown once a printing format was asked for with a bad size, or while one is typed. */
  protected readonly sizeChecked = signal(false);
  /** The size typed is wrong and is the one a printing format would be made at. */
  protected readonly sizeInvalid = computed(
    () => this.sizeChecked() && !this.atOwnSize() && this.sizeMm() === undefined,
  );
  protected readonly busy = signal<ModelFormat | undefined>(undefined);
  protected readonly note = signal<MenuNote | undefined>(undefined);
  /** The last download's link, for a browser that did not start it (or a tap after a long wait). */
  protected readonly chosen = signal<Chosen | undefined>(undefined);
  /** Whether the mesh is closed: the download's X-Mesh-Watertight, else the list's. */
  private readonly watertightSeen = signal<boolean | undefined>(undefined);
  /** Bytes the downloads told (Content-Range), by format and size ("stl@250"): sizes the list does not name. */
  private readonly knownBytes = signal<ReadonlyMap<string, number>>(new Map());
  protected readonly notWatertight = computed(
    () => (this.watertightSeen() ?? this.list()?.watertight) === false,
  );

  private readonly toggle = viewChild.required<ElementRef<HTMLButtonElement>>('toggle');
  private readonly sizeInput = viewChild<ElementRef<HTMLInputElement>>('size');
  private listRequest: AbortController | undefined;
  private download: AbortController | undefined;

  constructor() {
    // Another model: nothing of the last one's list, notes or links applies.
    let shown: string | undefined;
    effect(() => {
      const modelId = this.modelId();
      if (shown !== undefined && shown !== modelId) {
        untracked(() => this.close());
        this.list.set(undefined);
        this.sizeChoice.set('own');
        this.knownBytes.set(new Map());
        this.watertightSeen.set(undefined);
        this.note.set(undefined);
        this.chosen.set(undefined);
      }
      shown = modelId;
    });
    inject(DestroyRef).onDestroy(() => this.close());
  }

  protected toggleMenu(): void {
    if (this.open()) {
      this.close();
    } else {
      this.open.set(true);
      void this.refreshList();
    }
  }

  /** The size of a format's file as the list tells it (for stl/3mf only at the size the list names). */
  protected bytesOf(format: ModelFormat): string | undefined {
    const known = this.knownBytes().get(variantKey(format, this.printSize()));
    if (known !== undefined) return formatBytes(known, this.i18n.locale());
    const entry = this.list()?.formats.find((item) => item.format === format);
    if (entry?.state !== 'ready' || entry.bytes === undefined) return undefined;
    if (PRINTING_FORMATS.has(format)) {
      // The list names one file per printing format: the own size's, or 100 mm's.
      const own = entry.own_size === true;
      if (own !== this.atOwnSize() || (!own && entry.size_mm !== this.sizeMm())) return undefined;
    }
    return formatBytes(entry.bytes, this.i18n.locale());
  }

  /** What the list says of a format not ready yet (made on first download, being made, failed). */
  protected stateOf(format: ModelFormat): string | undefined {
    const entry = this.list()?.formats.find((item) => item.format === format);
    switch (entry?.state) {
      case 'building':
        return this.i18n.t('download.state.building');
      case 'not_made':
        return this.i18n.t('download.state.notMade');
      case 'failed':
        return this.i18n.t('download.state.failed');
      case 'ready':
      case undefined:
        return undefined;
    }
  }

  protected purposeOf(format: ModelFormat): string {
    const purpose = this.i18n.t(PURPOSE[format]);
    const own = this.atOwnSize() ? this.ownSizeMm() : undefined;
    const size = own === undefined ? this.sizeMm() : this.millimetres(own);
    return PRINTING_FORMATS.has(format) && size !== undefined
      ? this.i18n.t('download.atSize', { purpose, size })
      : purpose;
  }

  protected label(format: ModelFormat): string {
    return format.toUpperCase();
  }

  protected isPrinting(format: ModelFormat): boolean {
    return PRINTING_FORMATS.has(format);
  }

  protected onSizeInput(value: string): void {
    this.sizeText.set(value);
    this.sizeChecked.set(true);
    // Typing a size chooses it over the model's own.
    this.sizeChoice.set('typed');
  }

  /** Downloads a format: checks the size, waits out 202s, then hands the URL to the browser. */
  protected async choose(format: ModelFormat): Promise<void> {
    const printing = PRINTING_FORMATS.has(format);
    const size = this.printSize();
    if (printing && size === undefined) {
      this.sizeChecked.set(true);
      this.sizeInput()?.nativeElement.focus();
      return;
    }
    this.download?.abort();
    const download = new AbortController();
    this.download = download;
    const name = this.label(format);
    // The own size is the server's default for a painted model: no size_mm. So is a size nobody
    // chose before the list said what the model is (a slow link): never 100 mm for a painted one.
    const unchosen = this.list() === undefined && this.sizeChoice() === 'own';
    const sizeMm = printing && typeof size === 'number' && !unchosen ? size : undefined;
    const href = modelDownloadPath(this.modelId(), format, sizeMm);
    this.busy.set(format);
    this.chosen.set(undefined);
    this.note.set(undefined);
    const outcome = await waitForDownload(href, {
      ...this.waitOptions,
      signal: download.signal,
      onBuilding: () =>
        this.note.set({ kind: 'progress', text: this.i18n.t('download.preparing', { format: name }) }),
    });
    if (this.download !== download) return; // closed, or another format chosen meanwhile
    this.download = undefined;
    this.busy.set(undefined);
    switch (outcome.kind) {
      case 'ready':
        if (printing && outcome.watertight !== undefined) this.watertightSeen.set(outcome.watertight);
        if (outcome.bytes !== undefined) {
          const bytes = outcome.bytes;
          this.knownBytes.update((map) => new Map(map).set(variantKey(format, size), bytes));
        }
        this.chosen.set({ format, href });
        this.note.set({ kind: 'done', text: this.i18n.t('download.started', { format: name }) });
        startDownload(href);
        break;
      case 'error': {
        const described = describeError(outcome.error, this.config?.value().max_upload_mb ?? 10);
        this.note.set({ kind: 'error', text: this.i18n.t(described.key, described.params) });
        break;
      }
      case 'gave-up':
        this.note.set({ kind: 'error', text: this.i18n.t('download.gaveUp', { format: name }) });
        break;
      case 'cancelled':
        break;
    }
  }

  protected onDocumentClick(event: MouseEvent): void {
    if (this.open() && !this.host.nativeElement.contains(event.target as Node | null)) this.close();
  }

  protected closeFromKeyboard(event: Event): void {
    if (!this.open()) return;
    event.stopPropagation();
    this.close();
    this.toggle().nativeElement.focus();
  }

  /** Millimetres in the page's language, to 0.1 mm (a painted model's own size need not be whole). */
  private millimetres(value: number): string {
    return value.toLocaleString(this.i18n.locale(), { maximumFractionDigits: 1 });
  }

  /** Closes the menu and stops whatever it was waiting for. */
  close(): void {
    this.open.set(false);
    this.listRequest?.abort();
    this.listRequest = undefined;
    this.download?.abort();
    this.download = undefined;
    this.busy.set(undefined);
    if (this.note()?.kind === 'progress') this.note.set(undefined);
  }

  /** Asks for the list once per opening; never two at a time. */
  private async refreshList(): Promise<void> {
    if (this.listRequest) return;
    const request = new AbortController();
    this.listRequest = request;
    const modelId = this.modelId();
    const list = await fetchFormatList(modelId, request.signal);
    if (this.listRequest !== request) return;
    this.listRequest = undefined;
    if (list) this.list.set(list);
  }
}
