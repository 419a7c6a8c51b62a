import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  ElementRef,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';

import type { Outcome } from '../../core/api/api-client';
import type { ApiError } from '../../core/api/api-types';
import { I18n, pluralKey } from '../../core/i18n/i18n';
import { MessageKey, isMessageKey } from '../../core/i18n/messages';
import { OpsApi, OpsOverview, OpsQueueTask, OpsWorker } from './ops-api';
import { formatBytes, formatSeconds } from './ops-format';
import { Poller } from './ops-poller';

/** How often the overview is read while the page is shown (ms). */
export const OPS_POLL_MS = 3_000;

/** Whether the admin token opens the routes: not given, being tried, good, refused (401), routes off (404). */
export type OpsAccess = 'none' | 'checking' | 'ok' | 'refused' | 'off';

/** An action waiting for the operator's confirmation in the dialog. */
interface PendingAction {
  /** The question the dialog asks. */
  question: string;
  /** The confirm button's words. */
  confirm: string;
  /** Runs the action; resolves with the outcome line to show (never rejects). */
  run: () => Promise<ActionOutcome>;
}

/** The outcome of the last action, shown in a live region. */
interface ActionOutcome {
  ok: boolean;
  text: string;
}

const SIDECAR_STATE_KEYS: Record<string, MessageKey> = {
  starting: 'ops.state.starting',
  loading: 'ops.state.loading',
  ready: 'ops.state.ready',
  busy: 'ops.state.busy',
  failed: 'ops.state.failed',
  down: 'ops.state.down',
  restarting: 'ops.state.restarting',
  idle: 'ops.state.idle',
};

/**
 * The ops console (/ops, lazily loaded, linked from nowhere): asks for the admin token (kept in
 * sessionStorage, sent as a bearer), then shows GET /api/admin/overview live (every OPS_POLL_MS
 * after the last answer, none while the tab is hidden) with the operator's actions, each behind a
 * confirmation dialog: restart a worker's sidecar or every worker's (graceful or forced, relayed
 * through Redis by whichever api process serves the page), pause or resume admissions, run
 * the cleanup, cancel a task. Without a token, or with one the api refuses, it shows nothing else.
 */
@Component({
  selector: 'kiln-ops-page',
  templateUrl: './ops-page.html',
  styleUrl: './ops-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OpsPage {
  protected readonly i18n = inject(I18n);
  private readonly api = inject(OpsApi);
  private readonly document = inject(DOCUMENT);

  protected readonly access = signal<OpsAccess>(this.api.token() === '' ? 'none' : 'checking');
  protected readonly overview = signal<OpsOverview | undefined>(undefined);
  /** The last poll failed for another reason than the token (network, timeout, 5xx). */
  protected readonly stale = signal(false);
  protected readonly pending = signal<PendingAction | undefined>(undefined);
  protected readonly busy = signal(false);
  protected readonly outcome = signal<ActionOutcome | undefined>(undefined);
  protected readonly tokenInput = signal('');

  protected readonly updatedAt = computed(() => {
    const at = this.overview()?.generated_at;
    return at === undefined ? '' : new Date(at).toLocaleTimeString(this.i18n.locale());
  });

  private readonly dialog = viewChild<ElementRef<HTMLDialogElement>>('confirmDialog');
  private readonly poller = new Poller(() => this.refresh(), OPS_POLL_MS, {
    hidden: () => this.document.hidden,
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
  });
  private readonly leaving = new AbortController();

  constructor() {
    const onVisibility = (): void => this.poller.visibilityChanged();
    this.document.addEventListener('visibilitychange', onVisibility);
    inject(DestroyRef).onDestroy(() => {
      this.document.removeEventListener('visibilitychange', onVisibility);
      this.poller.stop();
      this.leaving.abort();
    });
    if (this.api.token() !== '') this.poller.start();
  }

  /** The token form: keep the token and try it. */
  protected submitToken(event: Event): void {
    event.preventDefault();
    const token = this.tokenInput().trim();
    if (token === '') return;
    this.api.setToken(token);
    this.tokenInput.set('');
    this.access.set('checking');
    this.poller.stop();
    this.poller.start();
  }

  /** Forgets the token (this tab's sessionStorage) and hides everything. */
  protected signOut(): void {
    this.api.setToken('');
    this.poller.stop();
    this.overview.set(undefined);
    this.outcome.set(undefined);
    this.access.set('none');
  }

  protected onTokenInput(event: Event): void {
    this.tokenInput.set((event.target as HTMLInputElement).value);
  }

  /** One poll of the overview; a 401 or 404 closes the console. */
  private async refresh(): Promise<void> {
    const answer = await this.api.overview(this.leaving.signal);
    if (answer.ok) {
      this.overview.set(answer.value);
      this.access.set('ok');
      this.stale.set(false);
      return;
    }
    if (answer.error.status === 401 || answer.error.status === 404) {
      // A token the api refuses is of no further use: forgotten, so a reload asks again.
      this.api.setToken('');
      this.poller.stop();
      this.overview.set(undefined);
      this.access.set(answer.error.status === 401 ? 'refused' : 'off');
      return;
    }
    this.stale.set(true);
  }

  /** A worker as the console names it in questions and outcomes: its host and process id. */
  protected workerName(worker: { host: string; pid: number }): string {
    return `${worker.host} · pid ${worker.pid}`;
  }

  /** Restarts one worker's sidecar (graceful, or forced), through the worker route: any api process relays it. */
  protected restartWorker(worker: OpsWorker, force: boolean): void {
    const name = this.workerName(worker);
    this.ask(
      this.i18n.t(force ? 'ops.restart.forceQuestion' : 'ops.restart.question', { worker: name }),
      this.i18n.t(force ? 'ops.restart.force' : 'ops.restart'),
      async () =>
        this.outcomeOf(await this.api.restartWorker(worker.id, force), (value) =>
          this.i18n.t(value.waits_for_job ? 'ops.restart.pending' : 'ops.restart.done', {
            worker: name,
            pid: value.previous_pid ?? '-',
          }),
        ),
    );
  }

  /** Restarts every live worker's sidecar; the outcome names each worker that did not accept. */
  protected restartAll(force: boolean): void {
    this.ask(
      this.i18n.t(force ? 'ops.restart.allForceQuestion' : 'ops.restart.allQuestion'),
      this.i18n.t(force ? 'ops.restart.allForce' : 'ops.restart.all'),
      async () => {
        const answer = await this.api.restartAll(force);
        if (!answer.ok) return { ok: false, text: this.describeFailure(answer.error) };
        const { accepted, workers } = answer.value;
        const refused = workers
          .filter((worker) => worker.status !== 202)
          .map((worker) =>
            this.i18n.t('ops.restart.allFailed', {
              worker: this.workerName(worker),
              status: worker.status,
              message: worker.message,
            }),
          );
        const done = this.i18n.t('ops.restart.allDone', { accepted, count: workers.length });
        return { ok: refused.length === 0, text: [done, ...refused].join(' ') };
      },
    );
  }

  protected pause(): void {
    this.ask(this.i18n.t('ops.pause.question'), this.i18n.t('ops.pause'), async () =>
      this.outcomeOf(await this.api.pause(), (value) =>
        this.i18n.t(value.changed ? 'ops.pause.done' : 'ops.pause.already'),
      ),
    );
  }

  protected resume(): void {
    this.ask(this.i18n.t('ops.resume.question'), this.i18n.t('ops.resume'), async () =>
      this.outcomeOf(await this.api.resume(), (value) =>
        this.i18n.t(value.changed ? 'ops.resume.done' : 'ops.resume.already'),
      ),
    );
  }

  protected cleanup(): void {
    this.ask(this.i18n.t('ops.cleanup.question'), this.i18n.t('ops.cleanup'), async () =>
      this.outcomeOf(await this.api.cleanup(), (value) =>
        this.i18n.t(pluralKey(this.i18n.locale(), value.deleted, 'ops.cleanup.doneOne', 'ops.cleanup.done'), {
          count: value.deleted,
          bytes: formatBytes(value.bytes),
        }),
      ),
    );
  }

  protected cancel(task: OpsQueueTask): void {
    const id = shortId(task.task_id);
    this.ask(this.i18n.t('ops.cancel.question', { id }), this.i18n.t('ops.cancel.confirm'), async () =>
      this.outcomeOf(await this.api.cancel(task.task_id), (value) =>
        this.i18n.t('ops.cancel.done', { id, status: value.status }),
      ),
    );
  }

  /** Opens the confirmation dialog for an action. */
  private ask(question: string, confirm: string, run: () => Promise<ActionOutcome>): void {
    this.pending.set({ question, confirm, run });
    this.dialog()?.nativeElement.showModal();
  }

  /** An action's answer as the outcome line: `said` of its value, or what refused it. */
  private outcomeOf<T>(answer: Outcome<T>, said: (value: T) => string): ActionOutcome {
    return answer.ok
      ? { ok: true, text: said(answer.value) }
      : { ok: false, text: this.describeFailure(answer.error) };
  }

  /** The dialog's confirm: runs the action, closes the dialog, shows the outcome, polls again. */
  protected async confirmPending(): Promise<void> {
    const action = this.pending();
    if (action === undefined || this.busy()) return;
    this.busy.set(true);
    try {
      this.outcome.set(await action.run());
    } finally {
      this.busy.set(false);
      this.closeDialog();
      this.poller.now();
    }
  }

  protected closeDialog(): void {
    this.dialog()?.nativeElement.close();
    this.pending.set(undefined);
  }

  /** The dialog closed by Escape: forget the action. */
  protected onDialogClose(): void {
    this.pending.set(undefined);
  }

  private describeFailure(error: ApiError): string {
    if (error.status === 0) return this.i18n.t('ops.failed.network');
    // A 401 or 404 here also closes the console at the poll that follows every action.
    return this.i18n.t('ops.failed', {
      status: error.status,
      message: error.error || String(error.code ?? ''),
    });
  }

  protected stateLabel(state: string): string {
    const key = SIDECAR_STATE_KEYS[state];
    return key === undefined ? state : this.i18n.t(key);
  }

  protected bytes(value: number | null | undefined): string {
    return value === null || value === undefined ? '-' : formatBytes(value);
  }

  protected seconds(value: number | null | undefined): string {
    return value === null || value === undefined ? '-' : formatSeconds(value);
  }

  protected time(iso: string | null | undefined): string {
    if (iso === null || iso === undefined || iso === '') return '-';
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(this.i18n.locale());
  }

  protected vram(worker: OpsWorker): string {
    const sidecar = worker.sidecar;
    if (!sidecar || sidecar.vram_total_bytes === 0) return '-';
    return `${formatBytes(sidecar.vram_used_bytes)} / ${formatBytes(sidecar.vram_total_bytes)}`;
  }

  protected shortId(id: string): string {
    return shortId(id);
  }

  /** A quality preset as the upload page names it (its pipeline's resolution too); '-' for none. */
  protected qualityLabel(quality: string | null | undefined): string {
    const key = `upload.quality.${quality ?? ''}`;
    return isMessageKey(key) ? this.i18n.t(key) : (quality ?? '-');
  }

  protected statusLabel(status: string): string {
    return this.i18n.t(status === 'processing' ? 'ops.queue.running' : 'ops.queue.waiting');
  }
}

/** The first 8 characters of a task id: enough for a person to tell tasks apart. */
function shortId(id: string): string {
  return id.slice(0, 8);
}
