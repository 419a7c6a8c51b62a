import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';

import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n } from '../../core/i18n/i18n';
import { PageTitle } from '../../core/i18n/page-title';
import { isModelId, pageLink } from '../../core/api/model-url';
import { HistoryStore } from '../history/history-store';
import { ModelLoadedInfo, ModelViewer } from '../viewer/model-viewer';
import { expiryOf, hoursLeft } from './expiry';

/** /m/{uuid}: one model in the viewer, with when it will be deleted. */
@Component({
  selector: 'kiln-share-page',
  imports: [ModelViewer, RouterLink],
  templateUrl: './share-page.html',
  styleUrl: './share-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[attr.data-status]': 'status()' },
})
export class SharePage {
  /** The route's :id, bound by the router. */
  readonly id = input.required<string>();
  protected readonly i18n = inject(I18n);
  protected readonly config = inject(ServerConfigStore).value;
  protected readonly modelId = computed(() => (isModelId(this.id()) ? this.id().toLowerCase() : undefined));
  private readonly history = inject(HistoryStore);
  /** This browser's history entry of the model, when it was made here: the page says "Your model". */
  protected readonly ownEntry = computed(() => {
    const id = this.modelId();
    return id === undefined ? undefined : this.history.entries().find((entry) => entry.modelId === id);
  });
  /** "Made from lantern.png in this browser." ("Your mesh box.obj, painted from lantern.png …"). */
  protected readonly madeFrom = computed(() => {
    const own = this.ownEntry();
    if (!own?.pictureName) return undefined;
    return own.kind === 'texture' && own.meshName
      ? this.i18n.t('share.paintedFrom', { mesh: own.meshName, name: own.pictureName })
      : this.i18n.t('share.madeFrom', { name: own.pictureName });
  });
  /**
   * The address to pass on: on PUBLIC_BASE_URL when the server has one (the owner may have opened
   * this page at localhost or a LAN address), else this page's own.
   */
  protected readonly shareUrl = computed(() => {
    const id = this.modelId();
    return id === undefined ? undefined : pageLink(`/m/${id}`, this.config().public_base_url);
  });
  protected readonly lastModified = signal<Date | undefined>(undefined);
  protected readonly loadStatus = signal<number | undefined>(undefined);
  protected readonly status = computed(() => {
    if (!this.modelId()) return 'bad-id';
    const failed = this.loadStatus();
    if (failed === 404 || failed === 410) return 'not-found';
    if (failed !== undefined) return 'error';
    return this.lastModified() ? 'ready' : 'loading';
  });
  /** No model here (gone, or no model id at all): the heading and the document's title say so (WCAG 2.4.2). */
  protected readonly missing = computed(() => this.status() === 'not-found' || this.status() === 'bad-id');

  constructor() {
    const pageTitle = inject(PageTitle);
    effect(() => pageTitle.heading.set(this.missing() ? 'share.notFoundHeading' : undefined));
  }

  protected readonly expiry = computed(() => {
    const modified = this.lastModified();
    return modified ? expiryOf(modified, this.config().retention_hours) : undefined;
  });

  /**
   * "Deleted on {date} ({hours} h left)", made once per model and language: a template method ran
   * on every change detection, and its Intl.DateTimeFormat cost about 28 ms the first time
   * (a CPU profile of a share page's load).
   */
  protected readonly expiryNote = computed(() => {
    const expiry = this.expiry();
    if (!expiry) return undefined;
    const hours = hoursLeft(expiry, Date.now());
    if (hours < 1) return this.i18n.t('share.expiresSoon');
    const date = new Intl.DateTimeFormat(this.i18n.locale(), {
      dateStyle: 'medium',
      timeStyle: 'short',
    }).format(expiry);
    return this.i18n.t('share.expires', { date, hours });
  });

  protected onLoaded(info: ModelLoadedInfo): void {
    this.loadStatus.set(undefined);
    // Without Last-Modified the file's age is unknown: count from now, the latest it could be.
    this.lastModified.set(info.lastModified ?? new Date());
  }

  protected onFailed(status: number): void {
    this.loadStatus.set(status);
  }
}
