import {
  formatBytes,
  modelDownloadPath,
  parseFormatList,
  parseSizeMm,
  probeDownload,
  waitForDownload,
} from './model-formats';

const ID = '0b6f3c2e-1d1a-4c1e-9a51-2f8d1b7e4c3a';

describe('model formats', () => {
  afterEach(() => vi.restoreAllMocks());

  it('builds the download path by model id, with size_mm for stl and 3mf only', () => {
    expect(modelDownloadPath(ID, 'glb')).toBe(`/api/models/${ID}/download?format=glb`);
    expect(modelDownloadPath(ID, 'stl', 250)).toBe(`/api/models/${ID}/download?format=stl&size_mm=250`);
    expect(modelDownloadPath(ID, '3mf', 10)).toBe(`/api/models/${ID}/download?format=3mf&size_mm=10`);
    expect(modelDownloadPath(ID, 'obj', 250)).toBe(`/api/models/${ID}/download?format=obj`);
  });

  it('takes a print size of whole millimetres from 10 to 1000', () => {
    expect(parseSizeMm('100')).toBe(100);
    expect(parseSizeMm(' 10 ')).toBe(10);
    expect(parseSizeMm('1000')).toBe(1000);
    for (const bad of ['9', '1001', '12.5', '-20', '1e2', '', 'abc'])
      expect(parseSizeMm(bad)).toBeUndefined();
  });

  it('says sizes in human units', () => {
    expect(formatBytes(980, 'en')).toBe('980 B');
    expect(formatBytes(50_084, 'en')).toBe('50.1 KB');
    expect(formatBytes(2_345_678, 'en')).toBe('2.3 MB');
    expect(formatBytes(3_000_000_000, 'en')).toBe('3 GB');
  });

  it('keeps the well-formed entries of a format list', () => {
    expect(parseFormatList('nope')).toBeUndefined();
    expect(parseFormatList({})).toBeUndefined();
    const list = parseFormatList({
      formats: [
        { format: 'glb', state: 'ready', bytes: 10, url: 'x', media_type: 'm', description: 'd' },
        { format: 'fbx', state: 'ready' },
        { format: 'stl', state: 'exploded' },
        null,
      ],
      watertight: false,
    });
    expect(list?.formats.map((entry) => entry.format)).toEqual(['glb']);
    expect(list?.watertight).toBe(false);
  });

  it('probes with the first byte only: 206 with the size and watertightness, 202 with the wait, errors', async () => {
    const fetchMock = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValueOnce(
        new Response('x', {
          status: 206,
          headers: { 'Content-Range': 'bytes 0-0/50084', 'X-Mesh-Watertight': 'true' },
        }),
      )
      .mockResolvedValueOnce(
        new Response('{"status":"building","format":"stl","retry_after_s":7}', { status: 202 }),
      )
      .mockResolvedValueOnce(
        new Response('{"success":false,"error":"The stl file could not be made","code":"format_failed"}', {
          status: 500,
        }),
      )
      .mockRejectedValueOnce(new TypeError('offline'));
    expect(await probeDownload('/p')).toEqual({ kind: 'ready', bytes: 50_084, watertight: true });
    const init = fetchMock.mock.calls[0]?.[1];
    expect(new Headers(init?.headers).get('Range')).toBe('bytes=0-0');
    expect(init?.cache).toBe('no-store');
    expect(await probeDownload('/p')).toEqual({ kind: 'building', retryAfterS: 7 });
    expect(await probeDownload('/p')).toEqual({
      kind: 'error',
      error: { status: 500, code: 'format_failed', error: 'The stl file could not be made' },
    });
    expect(await probeDownload('/p')).toEqual({
      kind: 'error',
      error: { status: 0, code: undefined, error: '' },
    });
  });

  it('waits Retry-After seconds between probes (kept within 1-30 s) and stops at once when cancelled', async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(() =>
      Promise.resolve(new Response('{}', { status: 202, headers: { 'Retry-After': '120' } })),
    );
    const sleeps: number[] = [];
    const controller = new AbortController();
    const outcome = await waitForDownload('/p', {
      signal: controller.signal,
      maxTries: 3,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    expect(outcome).toEqual({ kind: 'gave-up' });
    expect(sleeps).toEqual([30_000, 30_000]);
    controller.abort();
    expect(await waitForDownload('/p', { signal: controller.signal })).toEqual({ kind: 'cancelled' });
  });
});
