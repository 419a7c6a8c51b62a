import { TestBed } from '@angular/core/testing';

import { ApiClient, parseGenerateAnswer, parseQualityOffer, parseServerConfig } from './api-client';
import { DEFAULT_SERVER_CONFIG } from './api-types';
import { useFetchBackedXhr } from '../../../testing/fetch-backed-xhr';

describe('parseQualityOffer', () => {
  const none = { generate: [], texture: [] };

  it('keeps the well-formed presets of GET /api/qualities and drops the rest', () => {
    const fast = {
      quality: 'fast',
      pipeline_type: '512',
      default: false,
      offered: true,
      expected_s: 21,
      measured_s: 21,
      measured_jobs: 2,
    };
    expect(
      parseQualityOffer({
        presets: [fast, { quality: 'ultra', offered: true, expected_s: 1 }, { quality: 'high' }],
      }),
    ).toEqual({ presets: [fast], unused: none });
    expect(parseQualityOffer({ presets: 'none' })).toEqual({ presets: [], unused: none });
    expect(parseQualityOffer(null)).toEqual({ presets: [], unused: none });
  });

  it('reads the options the engine never uses, by kind of task; none when they are absent or malformed', () => {
    expect(
      parseQualityOffer({
        presets: [],
        unused_options: { generate: ['quality', 'seed', 7], texture: ['seed'] },
      }),
    ).toEqual({ presets: [], unused: { generate: ['quality', 'seed'], texture: ['seed'] } });
    expect(parseQualityOffer({ presets: [], unused_options: { generate: 'seed' } }).unused).toEqual(none);
    expect(parseQualityOffer({ presets: [], unused_options: null }).unused).toEqual(none);
  });
});

describe('parseServerConfig', () => {
  it('takes valid fields and keeps defaults for the rest', () => {
    expect(parseServerConfig({ max_upload_mb: 20, retention_hours: 'x', job_timeout_s: -1 })).toEqual({
      ...DEFAULT_SERVER_CONFIG,
      max_upload_mb: 20,
    });
    expect(parseServerConfig(null)).toEqual(DEFAULT_SERVER_CONFIG);
  });

  it('reads PUBLIC_BASE_URL (the address share links name) when it is an http(s) URL, else null', () => {
    expect(parseServerConfig({ public_base_url: 'https://3d.example.com' }).public_base_url).toBe(
      'https://3d.example.com',
    );
    expect(parseServerConfig({ public_base_url: null }).public_base_url).toBeNull();
    expect(parseServerConfig({ public_base_url: 'javascript:alert(1)' }).public_base_url).toBeNull();
  });

  it("reads the mesh limit the server publishes, else MAX_MESH_MB's default of 50", () => {
    expect(parseServerConfig({ max_mesh_mb: 20 }).max_mesh_mb).toBe(20);
    expect(parseServerConfig({ max_upload_mb: 10 }).max_mesh_mb).toBe(50);
  });
});

describe('parseGenerateAnswer', () => {
  it('reads an accepted task, a documented error, and a connection that never answered', () => {
    expect(
      parseGenerateAnswer(202, '{"success":true,"task_id":"t","task_token":"k","queue_position":2}', null),
    ).toEqual({
      ok: true,
      value: {
        success: true,
        task_id: 't',
        task_token: 'k',
        status_url: '/api/status/t',
        // None named: this page's own address.
        watch_url: `${location.origin}/t/t`,
        queue_position: 2,
      },
    });
    // The server's watch_url (PUBLIC_BASE_URL) is kept as it is.
    const named = parseGenerateAnswer(
      202,
      '{"success":true,"task_id":"t","task_token":"k","watch_url":"https://3d.example.com/t/t"}',
      null,
    );
    expect(named.ok && named.value.watch_url).toBe('https://3d.example.com/t/t');
    // A 202 without the task's token is no answer of this contract: nobody could cancel the task.
    expect(parseGenerateAnswer(202, '{"success":true,"task_id":"t","queue_position":2}', null).ok).toBe(
      false,
    );
    expect(
      parseGenerateAnswer(
        413,
        '{"success":false,"error":"File too large, max 10MB","code":"file_too_large"}',
        null,
      ),
    ).toEqual({
      ok: false,
      error: { status: 413, code: 'file_too_large', error: 'File too large, max 10MB' },
    });
    expect(parseGenerateAnswer(0, '', null)).toEqual({
      ok: false,
      error: { status: 0, code: undefined, error: '' },
    });
    expect(parseGenerateAnswer(202, 'not json', null)).toEqual({
      ok: false,
      error: { status: 500, code: 'internal_error', error: '' },
    });
  });
});

describe('ApiClient', () => {
  beforeEach(() => useFetchBackedXhr());

  afterEach(() => vi.restoreAllMocks());

  function client(): ApiClient {
    return TestBed.inject(ApiClient);
  }

  it('returns the accepted task', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        JSON.stringify({
          success: true,
          task_id: 't1',
          task_token: 'k1',
          status_url: '/api/status/t1',
          watch_url: 'https://3d.example.com/t/t1',
          queue_position: 2,
        }),
        { status: 202 },
      ),
    );
    const progress: number[] = [];
    const outcome = await client().generate(new Blob([new Uint8Array([0xff, 0xd8, 0xff])]), 'a.jpg', (f) =>
      progress.push(f),
    );
    expect(outcome).toEqual({
      ok: true,
      value: {
        success: true,
        task_id: 't1',
        task_token: 'k1',
        watch_url: 'https://3d.example.com/t/t1',
        status_url: '/api/status/t1',
        queue_position: 2,
      },
    });
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(progress).toEqual([1]);
    expect(url).toBe('/api/generate');
    expect((init?.body as FormData).get('image')).toBeInstanceOf(Blob);
  });

  it('sends POST /api/texture with the mesh, the picture and the options, and reads it as a generation', async () => {
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(
        JSON.stringify({
          success: true,
          task_id: 't2',
          task_token: 'k2',
          status_url: '/api/status/t2',
          queue_position: 1,
        }),
        { status: 202 },
      ),
    );
    const mesh = new Blob(['glTF']);
    const outcome = await client().texture(
      { mesh, meshName: 'chair.glb', image: new Blob(['png']), imageName: 'chair.png' },
      undefined,
      { seed: 7, texture_size: 1024, units: 'mm' },
    );
    expect(outcome).toMatchObject({ ok: true, value: { task_id: 't2', task_token: 'k2' } });
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/texture');
    const form = init?.body as FormData;
    expect((form.get('mesh') as File).name).toBe('chair.glb');
    expect((form.get('image') as File).name).toBe('chair.png');
    expect([
      form.get('seed'),
      form.get('texture_size'),
      form.has('texture_resolution'),
      form.get('units'),
    ]).toEqual(['7', '1024', false, 'mm']);
  });

  it('reads a refusal of the mesh by its code', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response('{"success":false,"error":"Compressed","code":"mesh_compressed"}', { status: 422 }),
    );
    const outcome = await client().texture({
      mesh: new Blob(['glTF']),
      meshName: 'a.glb',
      image: new Blob(['x']),
      imageName: 'a.png',
    });
    expect(outcome).toEqual({
      ok: false,
      error: { status: 422, code: 'mesh_compressed', error: 'Compressed' },
    });
  });

  it('reads busy with its Retry-After', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response('{"success":false,"error":"Server busy, retry later","code":"server_busy"}', {
        status: 503,
        headers: { 'Retry-After': '42' },
      }),
    );
    expect(await client().generate(new Blob(['x']), 'a.png')).toEqual({
      ok: false,
      error: { status: 503, code: 'server_busy', error: 'Server busy, retry later', retryAfterS: 42 },
    });
  });

  it('reports a network failure as status 0', async () => {
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('Failed to fetch'));
    const outcome = await client().generate(new Blob(['x']), 'a.png');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.status).toBe(0);
  });

  it('falls back to the documented config when /api/config fails', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('nope', { status: 404 }));
    expect(await client().getConfig()).toEqual(DEFAULT_SERVER_CONFIG);
  });
});
