import { TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { ADMIN_TOKEN_KEY, OpsApi, OpsOverview } from './ops-api';
import { OpsPage } from './ops-page';

const OVERVIEW: OpsOverview = {
  generated_at: '2026-01-01T00:00:00.000Z',
  admissions: { paused: false, since: null, by: null },
  workers: [
    {
      id: 'w',
      host: 'gpu-box',
      pid: 42,
      role: 'all',
      seen_at: '2026-01-01T00:00:00.000Z',
      started_at: '2026-01-01T00:00:00.000Z',
      state: 'busy',
      task_id: '11111111-1111-4111-8111-111111111111',
      engine: 'trellis2',
      device: 'cuda:0',
      gpu: '0',
      sidecar_pid: 7,
      sidecar: {
        state: 'busy',
        message: 'running a job',
        vram_used_bytes: 8 * 1024 ** 3,
        vram_total_bytes: 24 * 1024 ** 3,
        jobs_done: 3,
        jobs_started: 5,
        restarts: 1,
        managed: true,
        last_error: null,
      },
    },
  ],
  queue: {
    capacity: 6,
    running: 1,
    waiting: 1,
    tasks: [
      {
        task_id: '22222222-2222-4222-8222-222222222222',
        job_id: '22222222-2222-4222-8222-222222222222',
        status: 'queued',
        age_s: 12,
        position: 1,
        eta_s: 40,
        quality: 'high',
        progress: null,
        stage: null,
      },
      {
        task_id: '33333333-3333-4333-8333-333333333333',
        job_id: '22222222-2222-4222-8222-222222222222',
        status: 'queued',
        age_s: 3,
        position: 1,
        eta_s: 40,
        quality: 'high',
        progress: null,
        stage: null,
      },
    ],
  },
  failures: [{ code: 'generation_timeout', last_hour: 1, last_day: 2 }],
  durations: { job_timeout_s: 180, measured_on: null, presets: [] },
  storage: null,
};

describe('OpsPage', () => {
  beforeEach(() => {
    sessionStorage.clear();
    TestBed.inject(I18n).setLang('en');
  });

  afterEach(() => {
    vi.restoreAllMocks();
    sessionStorage.clear();
  });

  it('without a token asks for one and reads nothing', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch');
    const fixture = TestBed.createComponent(OpsPage);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('[data-testid=ops-need-token]')).not.toBeNull();
    expect(element.querySelector('[data-testid=ops-admissions]')).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
    fixture.destroy();
  });

  it('with the token shows the overview, read with the bearer', async () => {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, 'admin-token');
    TestBed.inject(OpsApi).token.set('admin-token');
    const fetch = vi
      .spyOn(globalThis, 'fetch')
      .mockImplementation(() => Promise.resolve(new Response(JSON.stringify(OVERVIEW), { status: 200 })));
    const fixture = TestBed.createComponent(OpsPage);
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid=ops-worker]')).not.toBeNull();
    });
    const element = fixture.nativeElement as HTMLElement;
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/admin/overview');
    expect((init?.headers as Record<string, string>)['Authorization']).toBe('Bearer admin-token');
    expect(element.querySelector('[data-testid=ops-worker]')?.textContent).toContain('8.0 GB / 24 GB');
    const rows = [...element.querySelectorAll('[data-testid=ops-task]')];
    expect(rows.map((row) => row.getAttribute('data-status'))).toEqual(['queued', 'queued']);
    // An instant repeat names the job it follows; the job's own task does not.
    expect(rows[0]?.querySelector('[data-testid=ops-follows]')).toBeNull();
    expect(rows[1]?.querySelector('[data-testid=ops-follows]')?.textContent?.trim()).toBe(
      'repeat of 22222222',
    );
    expect(element.querySelector('[data-testid=ops-failures]')?.textContent).toContain('generation_timeout');
    fixture.destroy();
  });

  it('says when the model folder is low on disk (uploads answer 507), beside its free space', async () => {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, 'admin-token');
    TestBed.inject(OpsApi).token.set('admin-token');
    const storage = {
      kind: 'local',
      files: 12,
      bytes: 40 * 1024 ** 3,
      disk_free_bytes: 512 * 1024 ** 2,
      disk_total_bytes: 50 * 1024 ** 3,
      disk_min_free_bytes: 1024 ** 3,
      disk_low: true,
      measured_at: '2026-01-01T00:00:00.000Z',
      retention_hours: 48,
      next_cleanup_at: null,
    };
    vi.spyOn(globalThis, 'fetch').mockImplementation(() =>
      Promise.resolve(new Response(JSON.stringify({ ...OVERVIEW, storage }), { status: 200 })),
    );
    const fixture = TestBed.createComponent(OpsPage);
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(
        (fixture.nativeElement as HTMLElement).querySelector('[data-testid=ops-disk-low]'),
      ).not.toBeNull();
    });
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('[data-testid=ops-disk-low]')?.textContent).toContain('under 1.0 GB free');
    expect(element.querySelector('[data-testid=ops-storage]')?.textContent).toContain('512 MB / 50 GB');
    fixture.destroy();
  });

  it("a worker's restart button asks, then posts to that worker's route and says what the worker answered", async () => {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, 'admin-token');
    TestBed.inject(OpsApi).token.set('admin-token');
    // jsdom has no modal dialogs: the page only needs showModal and close to exist.
    const dialog = HTMLDialogElement.prototype as { showModal?: () => void; close?: () => void };
    dialog.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    };
    dialog.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute('open');
    };
    const fetch = vi.spyOn(globalThis, 'fetch').mockImplementation((url) =>
      Promise.resolve(
        (url as string).includes('/inference/restart')
          ? new Response(
              JSON.stringify({
                success: true,
                force: true,
                previous_pid: 7,
                waits_for_job: false,
                message: 'Restart started',
                worker_id: 'w',
                host: 'gpu-box',
                pid: 42,
              }),
              { status: 202 },
            )
          : new Response(JSON.stringify(OVERVIEW), { status: 200 }),
      ),
    );
    const fixture = TestBed.createComponent(OpsPage);
    const element = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.querySelector('[data-testid=ops-restart-force]')).not.toBeNull();
    });
    const force = element.querySelector<HTMLButtonElement>('[data-testid=ops-restart-force]');
    expect(force?.getAttribute('aria-label')).toBe('Restart the sidecar of gpu-box · pid 42 now (kill)');
    // One worker: no every-worker buttons.
    expect(element.querySelector('[data-testid=ops-restart-all]')).toBeNull();
    force?.click();
    fixture.detectChanges();
    expect(element.querySelector('#ops-dialog-question')?.textContent).toContain(
      'Kill the inference sidecar of gpu-box · pid 42 now',
    );
    element.querySelector<HTMLButtonElement>('[data-testid=ops-dialog-confirm]')?.click();
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.querySelector('[data-testid=ops-outcome]')?.textContent?.trim()).toBe(
        'Restarting on gpu-box · pid 42: the sidecar with pid 7 is stopped and a new one starts.',
      );
    });
    const restart = fetch.mock.calls.find(([url]) => (url as string).includes('/inference/restart'));
    expect(restart?.[0]).toBe('/api/admin/workers/w/inference/restart?force=true');
    expect(restart?.[1]?.method).toBe('POST');
    expect((restart?.[1]?.headers as Record<string, string>)['Authorization']).toBe('Bearer admin-token');
    fixture.destroy();
  });

  it('a refused token (401) closes the console and is forgotten', async () => {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, 'wrong');
    TestBed.inject(OpsApi).token.set('wrong');
    vi.spyOn(globalThis, 'fetch').mockImplementation(() =>
      Promise.resolve(
        new Response('{"success":false,"error":"Unauthorized","code":"unauthorized"}', { status: 401 }),
      ),
    );
    const fixture = TestBed.createComponent(OpsPage);
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(
        (fixture.nativeElement as HTMLElement).querySelector('[data-testid=ops-refused]'),
      ).not.toBeNull();
    });
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid=ops-worker]')).toBeNull();
    expect(sessionStorage.getItem(ADMIN_TOKEN_KEY)).toBeNull();
    fixture.destroy();
  });
});
