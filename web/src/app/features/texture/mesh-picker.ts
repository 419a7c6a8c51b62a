import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  inject,
  input,
  model,
  output,
  signal,
  viewChild,
} from '@angular/core';

import type { ApiError } from '../../core/api/api-types';
import { describeError } from '../../core/api/error-messages';
import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n, pluralKey } from '../../core/i18n/i18n';
import { MESH_ACCEPT, checkMeshFile } from './mesh-validation';
import type { TooManyFaces } from './mesh-file-loader';
import {
  DEFAULT_MESH_UNITS,
  MESH_UNITS,
  type MeshUnits,
  UNIT_NAME,
  UNIT_SYMBOL,
  doubtUnits,
} from './mesh-units';
import type { PickedMesh } from './picked-mesh';

/** Why a file was not taken: the server's refusal (by its code), or the loader could not read it. */
export type MeshRejection = { error: ApiError } | { unreadable: string } | { tooManyFaces: TooManyFaces };

/**
 * Chooses the mesh to paint: picked, or dropped anywhere on the page (a drop the picture's own
 * box took is left to it). Runs the server's checks first (extension, size, content), then
 * parses it with three's loader, so a wrong or unreadable file is answered before any upload,
 * and an accepted one is drawn grey at once (the page hands `changed`'s mesh to the viewer).
 * Once a mesh is chosen, asks for the units of its coordinates (`units`, sent as POST
 * /api/texture's `units`) and shows its measured size in them, so a part drawn in millimetres is
 * seen to be 40 mm, not 40 m; when that size is implausible (doubtUnits: over 10 m or under 1 mm),
 * it says so before anything is sent and offers the units the mesh was likely drawn in. The
 * server takes any size (a building is legitimate): the question is the browser's.
 */
@Component({
  selector: 'kiln-mesh-picker',
  templateUrl: './mesh-picker.html',
  styleUrl: './mesh-picker.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    '(document:dragover)': 'onDocumentDragOver($event)',
    '(document:dragleave)': 'onDocumentDragLeave($event)',
    '(document:drop)': 'onDocumentDrop($event)',
  },
})
export class MeshPicker {
  /** The mesh chosen now (the page owns it), shown by name and triangle count. */
  readonly mesh = input<PickedMesh | undefined>(undefined);
  /** True while a task is being sent or followed: the mesh cannot change under it. */
  readonly busy = input(false);
  /** A new mesh passed every check; undefined when the file chosen instead was refused. */
  readonly changed = output<PickedMesh | undefined>();
  /** The length of one unit of the mesh's coordinates (the page sends it with the mesh). */
  readonly units = model<MeshUnits>(DEFAULT_MESH_UNITS);

  protected readonly i18n = inject(I18n);
  protected readonly config = inject(ServerConfigStore).value;
  protected readonly accept = MESH_ACCEPT;
  protected readonly reading = signal(false);
  protected readonly dragging = signal(false);
  protected readonly rejection = signal<MeshRejection | undefined>(undefined);
  protected readonly rejectionCode = computed(() => {
    const rejection = this.rejection();
    if (!rejection) return undefined;
    if ('tooManyFaces' in rejection) return 'mesh_too_many_faces';
    return 'error' in rejection ? rejection.error.code : 'unreadable';
  });
  protected readonly rejectionText = computed(() => {
    const rejection = this.rejection();
    if (!rejection) return undefined;
    if ('tooManyFaces' in rejection) {
      const { faces, max } = rejection.tooManyFaces;
      return this.i18n.t('error.meshTooManyFacesCount', { faces: this.count(faces), max: this.count(max) });
    }
    if (!('error' in rejection)) return this.i18n.t('mesh.unreadable');
    const config = this.config();
    const description = describeError(rejection.error, config.max_upload_mb, config.max_mesh_mb);
    return this.i18n.t(description.key, description.params);
  });
  protected readonly summary = computed(() => {
    const mesh = this.mesh();
    if (!mesh) return undefined;
    const key = pluralKey(this.i18n.locale(), mesh.parsed.triangles, 'mesh.summaryOne', 'mesh.summary');
    return this.i18n.t(key, { name: mesh.name, triangles: this.count(mesh.parsed.triangles) });
  });
  /** Each unit the select offers, named in the page's language. */
  protected readonly unitChoices = computed(() =>
    MESH_UNITS.map((value) => ({ value, text: this.i18n.t(UNIT_NAME[value]) })),
  );
  /** The mesh's bounding box in the units chosen: "Size: 20 × 40 × 15 mm". */
  protected readonly measured = computed(() => {
    const mesh = this.mesh();
    if (!mesh) return undefined;
    const [x, y, z] = mesh.parsed.extent;
    return this.i18n.t('mesh.size', {
      x: this.length(x),
      y: this.length(y),
      z: this.length(z),
      unit: this.i18n.t(UNIT_SYMBOL[this.units()]),
    });
  });
  /**
   * The mesh is implausibly large or small in the units chosen: what to say, and the units to
   * offer instead ("Use millimetres (mm)"), if any.
   */
  protected readonly unitsDoubt = computed(() => {
    const mesh = this.mesh();
    if (!mesh) return undefined;
    const units = this.units();
    const doubt = doubtUnits(mesh.parsed.extent, units);
    if (!doubt) return undefined;
    const size = `${this.length(doubt.longest)} ${this.i18n.t(UNIT_SYMBOL[units])}`;
    const likely = doubt.likely;
    return {
      kind: doubt.kind,
      text: this.i18n.t(doubt.kind === 'large' ? 'mesh.unitsTooLarge' : 'mesh.unitsTooSmall', { size }),
      likely,
      offer:
        likely === undefined
          ? undefined
          : this.i18n.t('mesh.useUnits', { unit: this.i18n.t(UNIT_NAME[likely]) }),
    };
  });
  /** The limits said before a mesh is chosen: its size and its triangles (/api/config). */
  protected readonly limits = computed(() => {
    const config = this.config();
    return this.i18n.t('mesh.limits', {
      max: config.max_mesh_mb,
      faces: this.count(config.texture_max_faces),
    });
  });
  private readonly fileInput = viewChild.required<ElementRef<HTMLInputElement>>('meshInput');
  private readonly unitsSelect = viewChild<ElementRef<HTMLSelectElement>>('unitsSelect');
  /** Counts files taken, so a slower earlier one never lands after a later one. */
  private attempt = 0;

  protected choose(): void {
    this.fileInput().nativeElement.click();
  }

  protected onFileInput(event: Event): void {
    const element = event.target as HTMLInputElement;
    const file = element.files?.[0];
    // Clearing lets the same file be chosen again.
    element.value = '';
    if (file) void this.take(file);
  }

  /** Files dragged over the page may be dropped anywhere (the browser would otherwise open them). */
  protected onDocumentDragOver(event: DragEvent): void {
    if (this.busy() || !this.hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    this.dragging.set(true);
  }

  protected onDocumentDragLeave(event: DragEvent): void {
    // relatedTarget is null only when the drag leaves the window.
    if (event.relatedTarget === null) this.dragging.set(false);
  }

  protected onDocumentDrop(event: DragEvent): void {
    this.dragging.set(false);
    // The picture's drop box took it (it prevents the default): not a mesh.
    if (this.busy() || event.defaultPrevented) return;
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    void this.take(file);
  }

  /**
   * Checks the file as the server would, then parses it (three's loader, fetched on first use);
   * emits the grey mesh, or shows why it was refused (and emits undefined).
   */
  async take(file: Blob & { name?: string }): Promise<void> {
    const attempt = ++this.attempt;
    this.reading.set(true);
    this.rejection.set(undefined);
    try {
      const config = this.config();
      const check = await checkMeshFile(file, config.max_mesh_mb);
      if (attempt !== this.attempt) return;
      if (!check.ok) return this.refuse({ error: check.error });
      const { parseMeshFile } = await import('./mesh-file-loader');
      const parsed = await parseMeshFile(file, check.kind, config.texture_max_faces);
      if (attempt !== this.attempt) {
        if (parsed.ok) parsed.mesh.dispose();
        return;
      }
      if (!parsed.ok) return this.refuse('error' in parsed ? { error: parsed.error } : parsed);
      const name = file.name?.trim() || `mesh.${check.kind}`;
      this.changed.emit({ file, name, kind: check.kind, bytes: file.size, parsed: parsed.mesh });
    } finally {
      if (attempt === this.attempt) this.reading.set(false);
    }
  }

  protected onUnitsChange(value: string): void {
    const units = MESH_UNITS.find((unit) => unit === value);
    if (units) this.units.set(units);
  }

  /** Takes the units offered for an implausible size; focus goes to the select, as the offer goes. */
  protected useUnits(units: MeshUnits): void {
    this.units.set(units);
    this.unitsSelect()?.nativeElement.focus();
  }

  /** A measured length in the page's language, to 4 significant digits (0.015, 40, 1,016). */
  private length(value: number): string {
    return value.toLocaleString(this.i18n.locale(), { maximumSignificantDigits: 4 });
  }

  /** A count in the page's language (1,216 / 1,216). */
  private count(value: number): string {
    return value.toLocaleString(this.i18n.locale());
  }

  private refuse(rejection: MeshRejection): void {
    this.rejection.set(rejection);
    this.changed.emit(undefined);
  }

  private hasFiles(event: DragEvent): boolean {
    return Array.from(event.dataTransfer?.types ?? []).includes('Files');
  }
}
