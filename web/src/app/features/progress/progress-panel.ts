import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  computed,
  effect,
  inject,
  signal,
} from '@angular/core';

import { describeError } from '../../core/api/error-messages';
import { ServerConfigStore } from '../../core/api/server-config-store';
import { I18n } from '../../core/i18n/i18n';
import { unusedOptionsText } from '../../core/i18n/option-names';
import { MessageKey } from '../../core/i18n/messages';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { formatElapsed, formatEta } from './time-format';
import { FocusModality, focusFromCode } from './quiet-focus';

/** The live region speaks the percent in steps of this many points (and on every change of stage). */
export const ANNOUNCE_STEP_PERCENT = 25;

const STAGE_KEYS: Record<string, MessageKey> = {
  preprocess: 'stage.preprocess',
  structure: 'stage.structure',
  geometry: 'stage.geometry',
  texture: 'stage.texture',
  export: 'stage.export',
};

/** What the task is doing now: place in line, progress, the result, or what went wrong and what to do. */
@Component({
  selector: 'kiln-progress-panel',
  templateUrl: './progress-panel.html',
  styleUrl: './progress-panel.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[attr.data-phase]': 'state().phase' },
})
export class ProgressPanel {
  protected readonly tracker = inject(TaskTracker);
  protected readonly i18n = inject(I18n);
  private readonly config = inject(ServerConfigStore);
  protected readonly state = this.tracker.state;
  protected readonly cancelling = signal(false);
  /** Said after the watch link was copied (or, without a clipboard, the link itself). */
  protected readonly watchNote = signal<string | undefined>(undefined);
  /** Local clock for the Retry-After countdown (the tracker's stops with the task). */
  private readonly now = signal(Date.now());
  private readonly retryAllowedAt = signal(0);
  private countdown: ReturnType<typeof setInterval> | undefined;

  protected readonly error = computed(() => {
    const error = this.state().error;
    const config = this.config.value();
    return error ? describeError(error, config.max_upload_mb, config.max_mesh_mb) : undefined;
  });
  /**
   * The failure's sentence. One about the server's Retry-After leaves the number out ("try again
   * later"): the wait is counted down once, in the hint below it (retryWaitS), and an alert
   * that changed every second would be read out every second.
   */
  protected readonly errorText = computed(() => {
    const error = this.error();
    if (!error) return '';
    return this.i18n.t(error.afterWait ?? error.key, error.params);
  });
  /** "Sending the picture…", or the mesh and the picture for a texturing task. */
  protected readonly uploadingText = computed(() =>
    this.i18n.t(this.tracker.kind() === 'texture' ? 'progress.uploadingMesh' : 'progress.uploading'),
  );
  /** "Making the model", or "Painting the mesh" for a texturing task. */
  protected readonly processingText = computed(() =>
    this.i18n.t(this.tracker.kind() === 'texture' ? 'progress.texturing' : 'progress.processing'),
  );
  protected readonly stageLabel = computed(() => {
    const stage = this.state().stage;
    const key = stage ? STAGE_KEYS[stage] : undefined;
    return key ? this.i18n.t(key) : stage ? stage : this.i18n.t('stage.unknown');
  });
  /**
   * The place in line; before the first answer about a task picked up after a reload (the one
   * queued state without a position) the page does not know it yet, and says it is looking.
   */
  protected readonly queuedText = computed(() => {
    const position = this.state().position;
    if (position === undefined) return this.i18n.t('progress.resuming');
    return position > 1 ? this.i18n.t('progress.queued', { position }) : this.i18n.t('progress.queuedNext');
  });
  /**
   * "Done in 12.3 s." (the server's generation time, of the last run), "…after starting over"
   * when the job started over (the wait was longer than that), or "Done." when no job ran for it
   * (a repeat answered with a kept model: "in 0.0 s" reads like a fault).
   */
  protected readonly completedText = computed(() => {
    const { result, restarted } = this.state();
    const seconds = result?.generationTime;
    if (seconds === undefined || seconds < 0.05) return this.i18n.t('progress.completedNow');
    return this.i18n.t(restarted ? 'progress.completedAfterRestart' : 'progress.completed', {
      seconds: seconds.toFixed(1),
    });
  });
  /**
   * "This server's engine does not use: quality, seed." when the engine ignored options of the
   * request (the CPU engine ignores them all), so the Options panel does not promise what it is not.
   */
  protected readonly ignoredText = computed(() =>
    unusedOptionsText(
      this.i18n,
      // Only what the maker chose: a default nobody picked is no news (the Options panel greys
      // out what this server's engines never use before the picture is sent).
      (this.state().result?.ignoredOptions ?? []).filter((name) =>
        this.tracker.chosenOptions().includes(name),
      ),
    ),
  );
  protected readonly uploadPercent = computed(() => Math.round((this.state().uploadFraction ?? 0) * 100));
  protected readonly elapsed = computed(() => formatElapsed(this.tracker.elapsedS()));
  protected readonly eta = computed(() => {
    const { etaS, etaAt } = this.state();
    if (etaS === undefined) return undefined;
    // Counts down between the server's updates, but never claims the wait is over.
    const passedS = etaAt === undefined ? 0 : (this.tracker.now() - etaAt) / 1000;
    return formatEta(Math.max(1, etaS - passedS), this.i18n.lang());
  });
  /**
   * What the polite live region says: the phase, the place in line, and while processing the
   * stage and the percent rounded down to ANNOUNCE_STEP_PERCENT, so that a screen reader hears
   * each stage and a few steps, never every tick (the visible percent and bar follow every event).
   */
  protected readonly announcement = computed(() => {
    switch (this.state().phase) {
      case 'uploading':
        return this.uploadingText();
      case 'queued':
        return this.queuedText();
      case 'processing': {
        // Changes (and is spoken) only when the stage changes or the percent passes a step.
        const step = Math.floor(this.state().progress / ANNOUNCE_STEP_PERCENT) * ANNOUNCE_STEP_PERCENT;
        return this.i18n.t('progress.announce', {
          what: this.processingText(),
          stage: this.stageLabel(),
          percent: Math.min(100, Math.max(0, step)),
        });
      }
      case 'completed':
        return this.completedText();
      case 'cancelled':
        return this.i18n.t('progress.cancelled');
      case 'idle':
      case 'failed':
      case 'timed-out':
        // Failures are role="alert" already.
        return '';
    }
  });
  protected readonly retryWaitS = computed(() =>
    Math.max(0, Math.ceil((this.retryAllowedAt() - this.now()) / 1000)),
  );

  constructor() {
    // A change of phase replaces the button that had focus (Generate, Cancel, Try again): focus
    // would fall to the page's start, and a keyboard or screen reader user loses their place.
    // The new state's sentence takes it instead, only when nothing else holds focus.
    const host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
    const modality = inject(FocusModality);
    effect(() => {
      const phase = this.state().phase;
      setTimeout(() => {
        if (this.state().phase !== phase) return;
        const active = host.ownerDocument.activeElement;
        if (active !== null && active !== host.ownerDocument.body) return;
        const status = host.querySelector<HTMLElement>('.status');
        // A ring only for a keyboard user: a watch page's visitor never touched the page.
        if (status) focusFromCode(status, modality.keyboard);
      });
    });
    effect(() => {
      const error = this.state().error;
      // A 503 or 429 with Retry-After: the retry waits it out.
      const waitS = error?.status === 503 || error?.status === 429 ? (error.retryAfterS ?? 0) : 0;
      this.startCountdown(waitS);
    });
    inject(DestroyRef).onDestroy(() => clearInterval(this.countdown));
  }

  protected async cancel(): Promise<void> {
    this.cancelling.set(true);
    try {
      await this.tracker.cancel();
    } finally {
      this.cancelling.set(false);
    }
  }

  protected retry(): void {
    void this.tracker.retry();
  }

  protected refresh(): void {
    void this.tracker.refresh();
  }

  protected startOver(): void {
    this.tracker.reset();
  }

  /** Copies the watch page's address (/t/{id}): whoever opens it sees the model being made. */
  protected async copyWatchLink(): Promise<void> {
    const url = this.tracker.watchUrl();
    if (url === undefined) return;
    try {
      await navigator.clipboard.writeText(url);
      this.watchNote.set(this.i18n.t('progress.watchLinkCopied'));
    } catch {
      // No clipboard permission (or plain http): the link to copy by hand.
      this.watchNote.set(this.i18n.t('progress.watchLinkShown', { url }));
    }
  }

  private startCountdown(waitS: number): void {
    clearInterval(this.countdown);
    this.retryAllowedAt.set(Date.now() + waitS * 1000);
    this.now.set(Date.now());
    if (waitS <= 0) return;
    this.countdown = setInterval(() => {
      this.now.set(Date.now());
      if (Date.now() >= this.retryAllowedAt()) clearInterval(this.countdown);
    }, 1000);
  }
}
