import { ComponentFixture, TestBed } from '@angular/core/testing';

import { FakeEventSource } from '../../../testing/fake-event-source';
import { useFetchBackedXhr } from '../../../testing/fetch-backed-xhr';
import { EVENT_SOURCE_FACTORY } from '../../core/events/event-source-factory';
import { I18n } from '../../core/i18n/i18n';
import { TASK_CHANNEL_FACTORY } from '../../core/tasks/task-channel';
import { TaskTracker } from '../../core/tasks/task-tracker';
import { ProgressPanel } from './progress-panel';

describe('ProgressPanel', () => {
  beforeEach(() => {
    useFetchBackedXhr();
    FakeEventSource.instances = [];
    TestBed.configureTestingModule({
      providers: [
        { provide: EVENT_SOURCE_FACTORY, useValue: (url: string) => new FakeEventSource(url) },
        { provide: TASK_CHANNEL_FACTORY, useValue: () => undefined },
      ],
    });
  });

  afterEach(() => {
    TestBed.inject(TaskTracker).reset();
    vi.restoreAllMocks();
  });

  /** The panel of a task picked up after a reload (in English), and the stream it listens to. */
  function renderResumed(): {
    fixture: ComponentFixture<ProgressPanel>;
    element: HTMLElement;
    source: FakeEventSource;
  } {
    TestBed.inject(I18n).setLang('en');
    sessionStorage.setItem('kiln3d.currentTask', 't');
    expect(TestBed.inject(TaskTracker).resume()).toBe(true);
    const fixture = TestBed.createComponent(ProgressPanel);
    const source = FakeEventSource.instances.at(-1) as FakeEventSource;
    return { fixture, element: fixture.nativeElement as HTMLElement, source };
  }

  async function render(): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(ProgressPanel);
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('explains busy with the wait from Retry-After and holds the retry button until then', async () => {
    TestBed.inject(I18n).setLang('en');
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response('{"success":false,"error":"Server busy, retry later"}', {
        status: 503,
        headers: { 'Retry-After': '25' },
      }),
    );
    await TestBed.inject(TaskTracker).start(new Blob(['x']), 'a.png');
    const element = await render();
    expect(element.getAttribute('data-phase')).toBe('failed');
    // One number on the page: the alert says "try again later", the hint counts Retry-After down.
    expect(element.querySelector('[data-testid=status-failed]')?.textContent).toContain('Try again later');
    expect(element.querySelector('[data-testid=status-failed]')?.textContent).not.toContain('25');
    expect(element.querySelector('[data-testid=retry-countdown]')?.textContent).toContain(
      'try again in 25 s',
    );
    expect(element.querySelector<HTMLButtonElement>('[data-testid=retry]')?.disabled).toBe(true);
  });

  it("a 429 with Retry-After (this network's share of unfinished tasks) holds the retry button too", async () => {
    TestBed.inject(I18n).setLang('en');
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        '{"success":false,"error":"Too many unfinished tasks from this client, retry when one ends","code":"too_many_active_tasks"}',
        { status: 429, headers: { 'Retry-After': '30' } },
      ),
    );
    await TestBed.inject(TaskTracker).start(new Blob(['x']), 'a.png');
    const element = await render();
    expect(element.querySelector('[data-testid=retry-countdown]')?.textContent).toContain(
      'try again in 30 s',
    );
    expect(element.querySelector<HTMLButtonElement>('[data-testid=retry]')?.disabled).toBe(true);
  });

  it('after a reload, says it is finding the task (not "next in line") until the server answers', async () => {
    const { fixture, element, source } = renderResumed();
    await fixture.whenStable();
    const status = (): string => element.querySelector('[data-testid=status-queued]')?.textContent ?? '';
    expect(status()).toContain('Finding your task');
    expect(status()).not.toContain('Next in line');
    source.emit('queued', '{"status":"queued","position":1}');
    await fixture.whenStable();
    expect(status()).toContain('Next in line');
    sessionStorage.clear();
  });

  it('says "Done." without a time when no job ran (a repeat answered with a kept model)', async () => {
    const { fixture, element, source } = renderResumed();
    source.emit('completed', '{"status":"completed","model_url":"/static/m.glb","generation_time":0}');
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=status-completed]')?.textContent?.trim()).toBe('Done.');
    sessionStorage.clear();
  });

  it('names the options the maker chose that the engine ignored, not the defaults nobody picked', async () => {
    TestBed.inject(I18n).setLang('en');
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        JSON.stringify({
          success: true,
          task_id: 't',
          task_token: 'k',
          status_url: '/api/status/t',
          queue_position: 1,
        }),
        { status: 202 },
      ),
    );
    await TestBed.inject(TaskTracker).start(new Blob(['x']), 'a.png', { quality: 'high', seed: 7 });
    const fixture = TestBed.createComponent(ProgressPanel);
    const element = fixture.nativeElement as HTMLElement;
    const source = FakeEventSource.instances.at(-1) as FakeEventSource;
    source.emit(
      'completed',
      '{"status":"completed","model_url":"/static/m.glb","generation_time":1.2,"ignored_options":["quality","seed","texture_size","faces"]}',
    );
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=ignored-options]')?.textContent?.trim()).toBe(
      "This server's engine does not use: quality, seed.",
    );
    sessionStorage.clear();
  });

  it('says nothing of ignored options after a reload (or on a watch page): nothing was chosen there', async () => {
    const { fixture, element, source } = renderResumed();
    source.emit(
      'completed',
      '{"status":"completed","model_url":"/static/m.glb","generation_time":1.2,"ignored_options":["quality","seed","texture_size","faces"]}',
    );
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=status-completed]')).not.toBeNull();
    expect(element.querySelector('[data-testid=ignored-options]')).toBeNull();
    sessionStorage.clear();
  });

  it('says nothing of options when the engine used them all', async () => {
    const { fixture, element, source } = renderResumed();
    source.emit('completed', '{"status":"completed","model_url":"/static/m.glb","generation_time":1.2}');
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=status-completed]')).not.toBeNull();
    expect(element.querySelector('[data-testid=ignored-options]')).toBeNull();
    sessionStorage.clear();
  });

  it('says so when the job went back to the queue because the server stopped mid-job', async () => {
    const { fixture, element, source } = renderResumed();
    source.emit(
      'processing',
      '{"status":"processing","progress":70,"started_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:30Z"}',
    );
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=restarted]')).toBeNull();
    source.emit('queued', '{"status":"queued","position":1,"updated_at":"2026-01-01T00:00:40Z"}');
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=status-queued]')?.textContent).toContain('Next in line');
    expect(element.querySelector('[data-testid=restarted]')?.textContent).toContain(
      'made again from the start',
    );
    source.emit(
      'completed',
      '{"status":"completed","model_url":"/static/m.glb","generation_time":27.14,"updated_at":"2026-01-01T00:01:20Z"}',
    );
    await fixture.whenStable();
    // The time is the last run's: the page says the job started over.
    expect(element.querySelector('[data-testid=status-completed]')?.textContent?.trim()).toBe(
      'Done in 27.1 s, after starting over.',
    );
    sessionStorage.clear();
  });

  it('shows place in line, then a progress bar with percent and stage, in Chinese too', async () => {
    TestBed.inject(I18n).setLang('zh');
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        '{"success":true,"task_id":"t","task_token":"k","status_url":"/api/status/t","queue_position":3}',
        {
          status: 202,
        },
      ),
    );
    const tracker = TestBed.inject(TaskTracker);
    await tracker.start(new Blob(['x']), 'a.png');
    const fixture = TestBed.createComponent(ProgressPanel);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    expect(element.querySelector('[data-testid=status-queued]')?.textContent).toContain('排队中：第 3 位');
    // Waiting has no value: a bar that says so to assistive technology (no aria-valuenow), and not
    // an indeterminate <progress>, which Chromium keeps drawing even when nothing is animated.
    const waiting = element.querySelector('.bar.waiting');
    expect(waiting?.getAttribute('role')).toBe('progressbar');
    expect(waiting?.hasAttribute('aria-valuenow')).toBe(false);
    expect(element.querySelector('progress')).toBeNull();
    (FakeEventSource.instances.at(-1) as FakeEventSource).emit(
      'processing',
      '{"status":"processing","progress":42,"stage":"texture"}',
    );
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=percent]')?.textContent?.trim()).toBe('42%');
    // The line's punctuation is the language's own (a full-width colon in Chinese).
    expect(element.querySelector('[data-testid=status-processing] .stage')?.textContent?.trim()).toBe(
      '正在生成模型：正在绘制纹理',
    );
    expect(element.querySelector('progress')?.value).toBe(42);
    (FakeEventSource.instances.at(-1) as FakeEventSource).emit(
      'completed',
      '{"status":"completed","model_url":"/static/m.glb","generation_time":12.34}',
    );
    await fixture.whenStable();
    expect(element.querySelector('[data-testid=status-completed]')?.textContent?.trim()).toBe(
      '完成，用时 12.3 秒。',
    );
    TestBed.inject(I18n).setLang('en');
  });

  it('announces politely: each stage and every 25 %, not every tick', async () => {
    TestBed.inject(I18n).setLang('en');
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response('{"success":true,"task_id":"t","task_token":"k","status_url":"/api/status/t"}', {
        status: 202,
      }),
    );
    await TestBed.inject(TaskTracker).start(new Blob(['x']), 'a.png');
    const fixture = TestBed.createComponent(ProgressPanel);
    await fixture.whenStable();
    const element = fixture.nativeElement as HTMLElement;
    const live = element.querySelector('[aria-live=polite]') as HTMLElement;
    const source = FakeEventSource.instances.at(-1) as FakeEventSource;
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(live.textContent?.trim() ?? ''));
    observer.observe(live, { childList: true, characterData: true, subtree: true });
    for (const [progress, stage] of [
      [3, 'structure'],
      [9, 'structure'],
      [14, 'structure'],
      [20, 'geometry'],
      [24, 'geometry'],
      [26, 'geometry'],
      [31, 'geometry'],
      [49, 'geometry'],
      [51, 'geometry'],
    ] as const) {
      source.emit('processing', JSON.stringify({ status: 'processing', progress, stage }));
      await fixture.whenStable();
    }
    observer.disconnect();
    expect(element.querySelector('[data-testid=percent]')?.textContent?.trim()).toBe('51%');
    // One change per stage or step: nine events, four announcements.
    expect(heard).toEqual([
      'Making the model: Shaping the structure, 0%',
      'Making the model: Building the surface, 0%',
      'Making the model: Building the surface, 25%',
      'Making the model: Building the surface, 50%',
    ]);
  });
});
