import { ComponentFixture, TestBed } from '@angular/core/testing';

import { I18n } from '../../core/i18n/i18n';
import { DOWNLOAD_WAIT, DownloadMenu } from './download-menu';

const MODEL_ID = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';
const BASE = `http://localhost/api/models/${MODEL_ID}`;

function entry(format: string, state: string, bytes?: number): Record<string, unknown> {
  const printing = format === 'stl' || format === '3mf';
  return {
    format,
    media_type: 'application/octet-stream',
    description: format,
    url: `${BASE}/download?format=${format}`,
    state,
    ...(bytes === undefined ? {} : { bytes }),
    ...(printing ? { size_mm: 100 } : {}),
  };
}

const LIST = {
  formats: [
    entry('glb', 'ready', 2_345_678),
    entry('obj', 'building'),
    entry('stl', 'ready', 84 + 50 * 1000),
    entry('3mf', 'not_made'),
    entry('ply', 'failed'),
    entry('usdz', 'not_made'),
  ],
};

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/** A ready download as the server answers the menu's one-byte probe. */
const partial = (total: number, headers: Record<string, string> = {}): Response =>
  new Response(new Uint8Array([0x73]), {
    status: 206,
    headers: { 'Content-Range': `bytes 0-0/${total}`, 'Content-Length': '1', ...headers },
  });

const building = (format: string): Response =>
  json({ status: 'building', format, retry_after_s: 3 }, 202, { 'Retry-After': '3' });

/** fetch answered per path+query, in order for repeated asks; records what was asked. */
function serve(answers: Record<string, (() => Response)[]>): { asked: string[] } {
  const asked: string[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation((input) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href, 'http://localhost');
    const key = url.pathname.replace(`/api/models/${MODEL_ID}`, '') + url.search;
    asked.push(key);
    const queue = answers[key];
    const next = queue && queue.length > 1 ? queue.shift() : queue?.[0];
    if (!next) return Promise.reject(new TypeError(`unexpected fetch ${key}`));
    return Promise.resolve(next());
  });
  return { asked };
}

describe('DownloadMenu', () => {
  let clicked: HTMLAnchorElement[];

  beforeEach(() => {
    clicked = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
  });

  afterEach(() => vi.restoreAllMocks());

  /** The menu; by default no real waiting between probes, and at most 4 of them. */
  async function render(
    wait: { maxTries?: number; sleep?: (ms: number, signal: AbortSignal) => Promise<void> } = {
      sleep: () => Promise.resolve(),
      maxTries: 4,
    },
  ): Promise<{ fixture: ComponentFixture<DownloadMenu>; element: HTMLElement }> {
    TestBed.configureTestingModule({ providers: [{ provide: DOWNLOAD_WAIT, useValue: wait }] });
    TestBed.inject(I18n).setLang('en');
    const fixture = TestBed.createComponent(DownloadMenu);
    fixture.componentRef.setInput('modelId', MODEL_ID);
    await fixture.whenStable();
    return { fixture, element: fixture.nativeElement as HTMLElement };
  }

  async function settle(fixture: ComponentFixture<DownloadMenu>): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      await fixture.whenStable();
    }
  }

  async function openMenu(fixture: ComponentFixture<DownloadMenu>, element: HTMLElement): Promise<void> {
    element.querySelector<HTMLButtonElement>('[data-testid=download-toggle]')?.click();
    await settle(fixture);
  }

  const item = (element: HTMLElement, format: string): HTMLButtonElement =>
    element.querySelector<HTMLButtonElement>(`button[data-format="${format}"]`) as HTMLButtonElement;

  it('is a labelled disclosure: closed at first, opened with the list and its sizes, closed by Escape', async () => {
    const { asked } = serve({ '/formats': [() => json(LIST)] });
    const { fixture, element } = await render();
    const toggle = element.querySelector<HTMLButtonElement>(
      '[data-testid=download-toggle]',
    ) as HTMLButtonElement;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(element.querySelector('[data-testid=download-menu]')).toBeNull();
    // Names no element that is not there (the menu is made when it opens).
    expect(toggle.hasAttribute('aria-controls')).toBe(false);
    expect(asked).toEqual([]); // nothing asked before the menu opens

    await openMenu(fixture, element);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = element.querySelector('[data-testid=download-menu]') as HTMLElement;
    expect(toggle.getAttribute('aria-controls')).toBe(panel.id);
    expect(panel.getAttribute('aria-label')).toBe('Download formats');
    expect(
      [...panel.querySelectorAll('button[data-format]')].map((b) => b.querySelector('.name')?.textContent),
    ).toEqual(['GLB', 'OBJ', 'STL', '3MF', 'PLY', 'USDZ']);
    expect(item(element, 'glb').textContent).toContain('2.3 MB');
    expect(item(element, 'glb').textContent).toContain('editing tools');
    expect(item(element, 'stl').textContent).toContain('50.1 KB');
    expect(item(element, 'stl').textContent).toContain('3D printing, shape only, 100\u00a0mm');
    expect(item(element, 'obj').textContent).toContain('being made');
    expect(item(element, '3mf').textContent).toContain('made on first download');
    expect(item(element, 'ply').textContent).toContain('failed last time');
    expect(item(element, 'usdz').textContent).toContain('iPhone');
    // A generated model has no size of its own: the size typed alone, as ever.
    expect(element.querySelector('[data-testid=print-size-own]')).toBeNull();
    expect(asked).toEqual(['/formats']);

    item(element, 'glb').focus();
    item(element, 'glb').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle(fixture);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(element.querySelector('[data-testid=download-menu]')).toBeNull();
    // Names no element that is not there (the menu is made when it opens).
    expect(toggle.hasAttribute('aria-controls')).toBe(false);
    expect(document.activeElement).toBe(toggle);
  });

  it('closes on a click elsewhere on the page, not on one inside it', async () => {
    serve({ '/formats': [() => json(LIST)] });
    const { fixture, element } = await render();
    document.body.appendChild(element);
    await openMenu(fixture, element);
    (element.querySelector('[data-testid=print-size]') as HTMLElement).click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-menu]')).not.toBeNull();
    document.body.click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-menu]')).toBeNull();
    element.remove();
  });

  it('lists the formats without sizes when the list cannot be read, and asks again on the next opening', async () => {
    const { asked } = serve({ '/formats': [() => json({ success: false }, 500), () => json(LIST)] });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    expect(element.querySelectorAll('button[data-format]')).toHaveLength(6);
    expect(element.querySelector('[data-testid=format-bytes]')).toBeNull();
    await openMenu(fixture, element); // closes
    await openMenu(fixture, element);
    expect(item(element, 'glb').textContent).toContain('2.3 MB');
    expect(asked).toEqual(['/formats', '/formats']);
  });

  it('downloads a ready file from the server at once', async () => {
    const { asked } = serve({
      '/formats': [() => json(LIST)],
      '/download?format=glb': [() => partial(2_345_678)],
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    item(element, 'glb').click();
    await settle(fixture);
    expect(asked).toEqual(['/formats', '/download?format=glb']);
    expect(clicked.map((a) => a.getAttribute('href'))).toEqual([
      `/api/models/${MODEL_ID}/download?format=glb`,
    ]);
    expect(clicked[0]?.hasAttribute('download')).toBe(true);
    expect(element.querySelector('[data-testid=download-done]')?.textContent).toContain(
      'The GLB download has started.',
    );
    expect(element.querySelector('[data-testid=download-link]')?.getAttribute('href')).toBe(
      `/api/models/${MODEL_ID}/download?format=glb`,
    );
  });

  it('says "Preparing STL…" on 202, asks again after Retry-After, then downloads and warns of an open mesh', async () => {
    const sleeps: number[] = [];
    const { asked } = serve({
      '/formats': [() => json(LIST)],
      '/download?format=stl&size_mm=250': [
        () => building('stl'),
        () => building('stl'),
        () => partial(3_000_084, { 'X-Mesh-Watertight': 'false' }),
      ],
    });
    let release: () => void = () => undefined;
    const { fixture, element } = await render({
      maxTries: 5,
      sleep: (ms: number) => {
        sleeps.push(ms);
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    await openMenu(fixture, element);
    const size = element.querySelector<HTMLInputElement>('[data-testid=print-size]') as HTMLInputElement;
    size.value = '250';
    size.dispatchEvent(new Event('input'));
    await settle(fixture);
    expect(item(element, 'stl').textContent).toContain('250\u00a0mm');
    // The list's bytes are those of the 100 mm file: not shown for another size.
    expect(item(element, 'stl').querySelector('[data-testid=format-bytes]')).toBeNull();

    item(element, 'stl').click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-progress]')?.textContent).toContain('Preparing STL…');
    expect(item(element, 'stl').getAttribute('aria-busy')).toBe('true');
    expect(clicked).toEqual([]);
    release();
    await settle(fixture);
    release();
    await settle(fixture);
    expect(sleeps).toEqual([3000, 3000]);
    expect(asked.filter((key) => key.startsWith('/download'))).toHaveLength(3);
    expect(clicked.map((a) => a.getAttribute('href'))).toEqual([
      `/api/models/${MODEL_ID}/download?format=stl&size_mm=250`,
    ]);
    expect(element.querySelector('[data-testid=download-progress]')).toBeNull();
    expect(element.querySelector('[data-testid=not-watertight]')?.textContent).toContain('not watertight');
    expect(item(element, 'stl').textContent).toContain('3 MB');
  });

  it('gives up after a bounded number of tries', async () => {
    const { asked } = serve({
      '/formats': [() => json(LIST)],
      '/download?format=ply': [() => building('ply')],
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    item(element, 'ply').click();
    await settle(fixture);
    await settle(fixture);
    expect(asked.filter((key) => key.startsWith('/download'))).toHaveLength(4);
    expect(element.querySelector('[data-testid=download-error]')?.textContent).toContain(
      'The PLY file is still being made',
    );
    expect(clicked).toEqual([]);
  });

  it('stops waiting when the menu is closed: no download afterwards', async () => {
    const { asked } = serve({
      '/formats': [() => json(LIST)],
      '/download?format=usdz': [() => building('usdz'), () => partial(10)],
    });
    const waits: AbortSignal[] = [];
    const { fixture, element } = await render({
      maxTries: 5,
      sleep: (_ms: number, signal: AbortSignal) => {
        waits.push(signal);
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    });
    await openMenu(fixture, element);
    item(element, 'usdz').click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-progress]')?.textContent).toContain(
      'Preparing USDZ…',
    );
    await openMenu(fixture, element); // the toggle closes it
    await settle(fixture);
    expect(waits.map((signal) => signal.aborted)).toEqual([true]);
    expect(asked.filter((key) => key.startsWith('/download'))).toHaveLength(1);
    expect(clicked).toEqual([]);
  });

  it('checks the print size before asking: 10 to 1000 whole millimetres', async () => {
    const { asked } = serve({
      '/formats': [() => json(LIST)],
      '/download?format=3mf&size_mm=10': [() => partial(5)],
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    const size = element.querySelector<HTMLInputElement>('[data-testid=print-size]') as HTMLInputElement;
    expect(size.value).toBe('100');
    for (const bad of ['5', '1001', '12.5', '']) {
      size.value = bad;
      size.dispatchEvent(new Event('input'));
      await settle(fixture);
      item(element, '3mf').click();
      await settle(fixture);
      expect(size.getAttribute('aria-invalid')).toBe('true');
      expect(element.querySelector('[data-testid=size-error]')?.textContent).toContain('from 10 to 1000');
      expect(document.activeElement).toBe(size);
    }
    expect(asked).toEqual(['/formats']);
    // Other formats have no size: still downloadable.
    size.value = '10';
    size.dispatchEvent(new Event('input'));
    await settle(fixture);
    expect(size.getAttribute('aria-invalid')).toBe('false');
    item(element, '3mf').click();
    await settle(fixture);
    expect(asked).toEqual(['/formats', '/download?format=3mf&size_mm=10']);
  });

  it("shows the server's words for format_failed and formats_busy", async () => {
    serve({
      '/formats': [() => json(LIST)],
      '/download?format=obj': [
        () => json({ success: false, error: 'The obj file could not be made', code: 'format_failed' }, 500),
      ],
      '/download?format=ply': [
        () =>
          json({ success: false, error: 'Busy making other files, retry later', code: 'formats_busy' }, 503, {
            'Retry-After': '10',
          }),
      ],
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    item(element, 'obj').click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-error]')?.textContent).toContain(
      'The obj file could not be made',
    );
    item(element, 'ply').click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-error]')?.textContent).toContain(
      'Busy making other files, retry later',
    );
    expect(clicked).toEqual([]);
  });

  it("says the server's disk is nearly full when a new format file is refused 507 insufficient_storage", async () => {
    serve({
      '/formats': [() => json(LIST)],
      '/download?format=obj': [
        () =>
          json(
            {
              success: false,
              error: 'Not enough disk space on the server, retry later',
              code: 'insufficient_storage',
            },
            507,
          ),
      ],
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    item(element, 'obj').click();
    await settle(fixture);
    expect(element.querySelector('[data-testid=download-error]')?.textContent).toContain(
      "The server's disk is nearly full",
    );
    expect(clicked).toEqual([]);
  });

  it("warns from the list's watertight before any download, in Chinese too", async () => {
    serve({ '/formats': [() => json({ ...LIST, watertight: false })] });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    expect(element.querySelector('[data-testid=not-watertight]')?.textContent).toContain('slicer');
    TestBed.inject(I18n).setLang('zh');
    await settle(fixture);
    expect(element.querySelector('[data-testid=not-watertight]')?.textContent).toContain('切片软件');
    expect(item(element, 'stl').textContent).toContain('3D 打印');
    TestBed.inject(I18n).setLang('en');
  });

  /** A painted model's list: its STL and 3MF at its own size (40 mm), the STL made already. */
  const PAINTED = {
    units: 'mm',
    formats: LIST.formats.map((e) =>
      e['format'] === 'stl' || e['format'] === '3mf' ? { ...e, size_mm: 40, own_size: true } : e,
    ),
  };

  it("asks for the server's own default size while the list is not read yet (a painted model: its own, not 100 mm)", async () => {
    // A verification run: STL clicked before the formats list arrived sent size_mm=100.
    const asked: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation((input) => {
      const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const url = new URL(href, 'http://localhost');
      asked.push(url.pathname.replace(`/api/models/${MODEL_ID}`, '') + url.search);
      if (url.pathname.endsWith('/formats')) return new Promise<Response>(() => undefined);
      return Promise.resolve(partial(5));
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    item(element, 'stl').click();
    await settle(fixture);
    expect(asked).toEqual(['/formats', '/download?format=stl']);
  });

  it("offers a painted model's own size first (no size_mm asked), the size typed beside it", async () => {
    const { asked } = serve({
      '/formats': [() => json(PAINTED)],
      '/download?format=stl': [() => partial(84 + 50 * 1000)],
      '/download?format=3mf&size_mm=120': [() => partial(7)],
    });
    const { fixture, element } = await render();
    await openMenu(fixture, element);
    const own = element.querySelector<HTMLInputElement>('[data-testid=print-size-own]') as HTMLInputElement;
    const typed = element.querySelector<HTMLInputElement>(
      '[data-testid=print-size-typed]',
    ) as HTMLInputElement;
    expect(own.closest('label')?.textContent?.trim()).toBe('Own size (40\u00a0mm)');
    expect(own.checked).toBe(true);
    expect(typed.checked).toBe(false);
    expect(own.closest('[role=radiogroup]')?.getAttribute('aria-label')).toBe('Size of STL and 3MF');
    expect(item(element, 'stl').textContent).toContain('3D printing, shape only, 40\u00a0mm');
    expect(item(element, 'stl').textContent).toContain('50.1 KB'); // the own-size file's, from the list
    expect(item(element, '3mf').textContent).toContain('with colours, 40\u00a0mm');

    // The default: the server makes it at its own size, so no size_mm is sent.
    item(element, 'stl').click();
    await settle(fixture);
    expect(clicked.map((a) => a.getAttribute('href'))).toEqual([
      `/api/models/${MODEL_ID}/download?format=stl`,
    ]);

    // Typing a size chooses it instead.
    const size = element.querySelector<HTMLInputElement>('[data-testid=print-size]') as HTMLInputElement;
    size.value = '120';
    size.dispatchEvent(new Event('input'));
    await settle(fixture);
    expect(typed.checked).toBe(true);
    expect(item(element, '3mf').textContent).toContain('with colours, 120\u00a0mm');
    expect(item(element, 'stl').querySelector('[data-testid=format-bytes]')).toBeNull(); // not that file's
    item(element, '3mf').click();
    await settle(fixture);
    expect(asked).toEqual(['/formats', '/download?format=stl', '/download?format=3mf&size_mm=120']);

    // And back to its own size; a bad size typed meanwhile does not stand in the way.
    size.value = '5';
    size.dispatchEvent(new Event('input'));
    own.click();
    await settle(fixture);
    expect(own.checked).toBe(true);
    expect(element.querySelector('[data-testid=size-error]')).toBeNull();
    expect(item(element, 'stl').textContent).toContain('40\u00a0mm');

    TestBed.inject(I18n).setLang('zh');
    await settle(fixture);
    expect(own.closest('label')?.textContent?.trim()).toBe('原始尺寸（40\u00a0毫米）');
    TestBed.inject(I18n).setLang('en');
  });
});
